/**
 * Embeddings from an OpenAI-compatible `POST /v1/embeddings` endpoint (OpenAI, Ollama, vLLM,
 * Hugging Face TEI, …) with Node's built-in fetch: `{ model, input: [texts], encoding_format:
 * "float" }` in, `{ data: [{ index, embedding }] }` out (put back in `index` order). Batches run
 * with at most `concurrency` requests in flight; 429/5xx answers and network failures are
 * retried (`retry.ts`); 401/403 fail at once; every vector must have the same length.
 */
import { LlminitError } from '../errors.js'
import type { EmbedBatchOptions, Embedder } from './embedder.js'
import { backoffMs, DEFAULT_RETRY, isRetryableStatus, retryAfterMs, sleep, type RetryPolicy } from './retry.js'

export interface EndpointOptions {
  /** Base URL (`http://localhost:11434/v1`: `/embeddings` is appended) or the full `…/embeddings` URL. */
  url: string
  /** The model name the server knows, e.g. `nomic-embed-text` or `text-embedding-3-small`. */
  model: string
  /** Environment variable holding the API key, sent as `Authorization: Bearer …` (default `OPENAI_API_KEY`; unset: no header). */
  apiKeyEnv?: string
  /** Requests in flight at once (default 4). */
  concurrency?: number
  /** Expected vector length: any other is an error. Default: the length of the first answer. */
  dimensions?: number
  /** Per-request timeout in ms (default 120 000). */
  timeoutMs?: number
  retry?: Partial<RetryPolicy>
}

export const DEFAULT_API_KEY_ENV = 'OPENAI_API_KEY'

function endpointError(message: string, cause?: unknown): LlminitError {
  return new LlminitError('ERR_LLMINIT_ENDPOINT', message, cause === undefined ? undefined : { cause })
}

/** The URL requests go to. */
export function embeddingsUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `endpoint ${JSON.stringify(url)} is not a URL (expected e.g. http://localhost:11434/v1)`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `endpoint ${JSON.stringify(url)}: expected an http: or https: URL`)
  }
  return /\/embeddings\/?$/.test(parsed.pathname) ? parsed.href : parsed.href.replace(/\/?$/, '/embeddings')
}

export function openEndpoint(options: EndpointOptions): Embedder {
  const url = embeddingsUrl(options.url)
  if (options.model === '') throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', 'the endpoint needs a model name')
  const concurrency = options.concurrency ?? 4
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `endpoint concurrency must be a positive integer, got ${concurrency}`)
  return new EndpointEmbedder(url, options, concurrency, { ...DEFAULT_RETRY, ...options.retry })
}

class EndpointEmbedder implements Embedder {
  readonly identity: Readonly<Record<string, unknown>>
  readonly label: string
  #dim: number | undefined

  constructor(
    private readonly url: string,
    private readonly options: EndpointOptions,
    private readonly concurrency: number,
    private readonly retry: RetryPolicy,
  ) {
    this.identity = { source: 'endpoint', url, model: options.model }
    this.label = `${options.model}@${url}`
    this.#dim = options.dimensions
  }

  async embed(texts: readonly string[], options: EmbedBatchOptions): Promise<{ dim: number; vectors: Float32Array }> {
    const starts: number[] = []
    for (let k = 0; k < texts.length; k += options.batchSize) starts.push(k)
    const results = new Array<Float32Array>(starts.length)
    let next = 0
    let done = 0
    const worker = async () => {
      while (next < starts.length) {
        const b = next++
        const batch = texts.slice(starts[b], starts[b] + options.batchSize)
        results[b] = await this.request(batch, starts[b], options.signal)
        done += batch.length
        options.onProgress?.(done)
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.concurrency, starts.length) }, worker))
    const dim = this.#dim ?? 0
    const vectors = new Float32Array(texts.length * dim)
    results.forEach((r, b) => vectors.set(r, starts[b] * dim))
    return { dim, vectors }
  }

  async close(): Promise<void> {}

  /** One batch, retried as the policy says; `first` is the batch's position (for messages). */
  private async request(batch: readonly string[], first: number, signal?: AbortSignal): Promise<Float32Array> {
    const keyName = this.options.apiKeyEnv ?? DEFAULT_API_KEY_ENV
    const key = process.env[keyName]
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (key !== undefined && key !== '') headers.authorization = `Bearer ${key}`
    const body = JSON.stringify({ model: this.options.model, input: batch, encoding_format: 'float' })
    const where = `${this.url} (texts ${first + 1}–${first + batch.length})`
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw signal.reason
      const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 120_000)
      let response: Response
      try {
        response = await fetch(this.url, { method: 'POST', headers, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
      } catch (err) {
        if (signal?.aborted) throw signal.reason
        if (attempt >= this.retry.maxRetries) {
          throw endpointError(`${where}: request failed after ${attempt + 1} attempt(s): ${describeFetchError(err)}`, err)
        }
        await sleep(backoffMs(this.retry, attempt, undefined), signal)
        continue
      }
      if (response.ok) return this.parse(await response.text(), batch.length, where)
      const detail = (await response.text().catch(() => '')).slice(0, 300)
      if (response.status === 401 || response.status === 403) {
        const hint = key === undefined || key === '' ? `the environment variable ${keyName} is not set` : `check the key in ${keyName}`
        throw endpointError(`${where}: authentication failed (HTTP ${response.status}): ${hint}${detail ? ` — ${detail}` : ''}`)
      }
      if (!isRetryableStatus(response.status)) throw endpointError(`${where}: HTTP ${response.status}${detail ? ` — ${detail}` : ''}`)
      if (attempt >= this.retry.maxRetries) {
        throw endpointError(`${where}: HTTP ${response.status} after ${attempt + 1} attempt(s), giving up${detail ? ` — ${detail}` : ''}`)
      }
      await sleep(backoffMs(this.retry, attempt, retryAfterMs(response.headers.get('retry-after'))), signal)
    }
  }

  /** The batch's vectors in input order, checked: one per input, each index once, one length. */
  private parse(text: string, count: number, where: string): Float32Array {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw endpointError(`${where}: the answer is not JSON: ${text.slice(0, 200)}`)
    }
    const data = (json as { data?: unknown }).data
    if (!Array.isArray(data)) throw endpointError(`${where}: the answer has no "data" array`)
    if (data.length !== count) throw endpointError(`${where}: ${data.length} embeddings for ${count} inputs`)
    let out: Float32Array | undefined
    const seen = new Uint8Array(count)
    data.forEach((entry: { index?: unknown; embedding?: unknown }, k) => {
      const index = entry.index === undefined ? k : entry.index
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count || seen[index]) {
        throw endpointError(`${where}: entry ${k} has index ${JSON.stringify(entry.index)} (expected each of 0…${count - 1} once)`)
      }
      seen[index] = 1
      const vec = entry.embedding
      if (!Array.isArray(vec) || vec.length === 0) throw endpointError(`${where}: entry ${k} has no "embedding" array of floats`)
      this.#dim ??= vec.length
      const dim = this.#dim
      if (vec.length !== dim) {
        const expected = this.options.dimensions === undefined ? 'the length of the first vector received' : 'the dimensions asked for'
        throw endpointError(`${where}: input ${index} got a vector of length ${vec.length}, expected ${dim} (${expected})`)
      }
      out ??= new Float32Array(count * dim)
      for (let j = 0; j < dim; j++) {
        const v = vec[j]
        if (typeof v !== 'number' || !Number.isFinite(v)) throw endpointError(`${where}: input ${index}: value ${JSON.stringify(v)} at position ${j}`)
        out[index * dim + j] = v
      }
    })
    return out ?? new Float32Array(0)
  }
}

function describeFetchError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } }
  if (e.name === 'TimeoutError') return 'timed out'
  return e.cause?.code ?? e.cause?.message ?? e.message
}
