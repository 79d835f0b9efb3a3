/**
 * Sentence embeddings from an ONNX model run by `@huggingface/transformers` (ONNX Runtime for
 * Node), computed as sentence-transformers computes them: the model's own pooling, normalisation
 * and truncation length (`sentence-config.ts`), truncation keeping the closing special token
 * (`truncate.ts`). Texts are tokenized once, sorted by length and run in batches; ONNX Runtime's
 * Node binding runs each batch synchronously, so the event loop gets a turn between batches only.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { LlminitError } from '../errors.js'
import { lengthSortedBatches, padBatch } from './batches.js'
import type { EmbedBatchOptions, Embedder } from './embedder.js'
import { poolInto } from './pooling.js'
import { folderJsonReader, readSentenceConfig, type JsonReader, type Pooling, type SentenceConfig } from './sentence-config.js'
import { loadTransformers, type HfModel, type HfTokenizer, type Transformers } from './transformers-loader.js'
import { specialTokenLayout, truncateKeepingSpecials } from './truncate.js'

/** ONNX weight variants as transformers.js names them: `onnx/model<suffix>.onnx`. */
const DTYPE_SUFFIX: Record<string, string> = { fp32: '', fp16: '_fp16', int8: '_int8', uint8: '_uint8', q8: '_quantized', q4: '_q4', q4f16: '_q4f16', bnb4: '_bnb4' }
export const MODEL_DTYPES = Object.keys(DTYPE_SUFFIX)

export interface LocalModelOptions {
  /** A model folder (tokenizer files, `onnx/model.onnx`, sentence-transformers files). */
  modelPath?: string
  /** Or a Hugging Face Hub model id, downloaded and cached by `@huggingface/transformers`. */
  model?: string
  /** Hub revision (branch, tag or commit); default `main`. */
  revision?: string
  /** Weights to load: `fp32` (default, `onnx/model.onnx`), `fp16`, `q8`, … */
  dtype?: string
  /** Overrides of the model's sentence-transformers configuration. */
  pooling?: Pooling
  normalize?: boolean
  maxLength?: number
  /** ONNX Runtime intra-op threads (default: its own choice, all cores). */
  threads?: number
  /** For tests: the module to import instead of `@huggingface/transformers`. */
  transformersModule?: string
}

interface Resolved {
  id: string
  label: string
  config: SentenceConfig
  identity: Record<string, unknown>
  fromPretrained: Record<string, unknown>
}

/**
 * Checks the source and computes its identity without loading the model, so a run whose every
 * vector is cached never loads it.
 */
export async function describeLocalModel(options: LocalModelOptions): Promise<Resolved> {
  const dtype = options.dtype ?? 'fp32'
  if (!(dtype in DTYPE_SUFFIX)) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `model dtype must be one of ${MODEL_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`)
  if ((options.modelPath === undefined) === (options.model === undefined)) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', 'a local embedding model needs exactly one of modelPath (a folder) or model (a Hub id)')
  }
  const overrides = {
    ...(options.pooling === undefined ? {} : { pooling: options.pooling }),
    ...(options.normalize === undefined ? {} : { normalize: options.normalize }),
    ...(options.maxLength === undefined ? {} : { maxSeqLength: options.maxLength }),
  }
  const fromPretrained = { dtype, ...(options.threads === undefined ? {} : { session_options: { intraOpNumThreads: options.threads } }) }
  if (options.modelPath !== undefined) {
    const dir = resolve(options.modelPath)
    const onnx = join(dir, 'onnx', `model${DTYPE_SUFFIX[dtype]}.onnx`)
    const info = await stat(dir).catch(() => undefined)
    if (info === undefined || !info.isDirectory()) throw new LlminitError('ERR_LLMINIT_IO', `${options.modelPath}: no such model folder`)
    if ((await stat(onnx).catch(() => undefined))?.isFile() !== true) {
      throw new LlminitError('ERR_LLMINIT_IO', `${options.modelPath}: no ${join('onnx', basename(onnx))} in the model folder (the ${dtype} weights)`)
    }
    const config = { ...(await readSentenceConfig(folderJsonReader(dir), options.modelPath)), ...overrides }
    const identity = {
      source: 'onnx',
      model: basename(dir),
      weights: await fileSha256(onnx),
      tokenizer: await fileSha256(join(dir, 'tokenizer.json')).catch(() => 'none'),
      dtype,
      pooling: config.pooling,
      normalize: config.normalize,
      maxSeqLength: config.maxSeqLength ?? 'tokenizer',
    }
    return { id: dir, label: `onnx:${basename(dir)}`, config, identity, fromPretrained: { ...fromPretrained, local_files_only: true } }
  }
  const model = options.model!
  const revision = options.revision ?? 'main'
  const { pooling, normalize, maxLength } = options
  const config: SentenceConfig =
    pooling !== undefined && normalize !== undefined && maxLength !== undefined
      ? { pooling, normalize, maxSeqLength: maxLength, from: 'defaults' }
      : { ...(await readSentenceConfig(hubJsonReader(await loadTransformers(options.transformersModule), model, revision), model)), ...overrides }
  const identity = { source: 'hub', model, revision, dtype, pooling: config.pooling, normalize: config.normalize, maxSeqLength: config.maxSeqLength ?? 'tokenizer' }
  return { id: model, label: `hub:${model}`, config, identity, fromPretrained: { ...fromPretrained, revision } }
}

/** Loads the tokenizer and the ONNX session. */
export async function openLocalModel(options: LocalModelOptions, described?: Resolved): Promise<Embedder> {
  const d = described ?? (await describeLocalModel(options))
  const hf = await loadTransformers(options.transformersModule)
  let tokenizer: HfTokenizer
  let model: HfModel
  try {
    tokenizer = await hf.AutoTokenizer.from_pretrained(d.id, d.fromPretrained)
    model = await hf.AutoModel.from_pretrained(d.id, d.fromPretrained)
  } catch (err) {
    throw new LlminitError('ERR_LLMINIT_IO', `${d.id}: cannot load the model (${(err as Error).message})`, { cause: err })
  }
  return new LocalEmbedder(hf, tokenizer, model, d)
}

class LocalEmbedder implements Embedder {
  readonly identity: Readonly<Record<string, unknown>>
  readonly label: string
  #closed = false
  readonly #maxLength: number

  constructor(
    private readonly hf: Transformers,
    private readonly tokenizer: HfTokenizer,
    private readonly model: HfModel,
    private readonly described: Resolved,
  ) {
    this.identity = described.identity
    this.label = described.label
    this.#maxLength = described.config.maxSeqLength ?? tokenizer.model_max_length
  }

  async embed(texts: readonly string[], options: EmbedBatchOptions): Promise<{ dim: number; vectors: Float32Array }> {
    const layout = specialTokenLayout(this.tokenizer.encode('a'), this.tokenizer.encode('a', { add_special_tokens: false }))
    const sequences = texts.map((t) => truncateKeepingSpecials(this.tokenizer.encode(t), this.#maxLength, layout))
    const { pooling, normalize } = this.described.config
    let vectors = new Float32Array(0)
    let dim = 0
    let done = 0
    for (const batch of lengthSortedBatches(sequences.map((s) => s.length), options.batchSize)) {
      if (options.signal?.aborted) throw options.signal.reason
      const padded = padBatch(batch.map((k) => sequences[k]), this.tokenizer.pad_token_id ?? 0)
      const dims = [padded.rows, padded.seqLen]
      const output = await this.model({
        input_ids: new this.hf.Tensor('int64', padded.inputIds, dims),
        attention_mask: new this.hf.Tensor('int64', padded.attentionMask, dims),
        token_type_ids: new this.hf.Tensor('int64', padded.tokenTypeIds, dims),
      })
      const hidden = output.last_hidden_state ?? Object.values(output)[0]
      if (dim === 0) {
        dim = hidden.dims[2]
        vectors = new Float32Array(texts.length * dim)
      }
      poolInto(vectors, batch, hidden.data, padded.lengths, padded.seqLen, dim, pooling, normalize)
      for (const t of Object.values(output)) t.dispose?.()
      done += batch.length
      options.onProgress?.(done)
      await new Promise((r) => setImmediate(r))
    }
    return { dim, vectors }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.model.dispose()
  }
}

const hashes = new Map<string, Promise<string>>()

/** sha256 of a file, remembered per (path, size, mtime) for the life of the process. */
async function fileSha256(file: string): Promise<string> {
  const info = await stat(file)
  const key = `${file}\0${info.size}\0${info.mtimeMs}`
  let pending = hashes.get(key)
  if (pending === undefined) {
    pending = new Promise<string>((resolveHash, reject) => {
      const hash = createHash('sha256')
      createReadStream(file)
        .on('data', (chunk) => hash.update(chunk))
        .on('error', reject)
        .on('end', () => resolveHash(hash.digest('hex')))
    })
    hashes.set(key, pending)
  }
  return pending
}

/** Reads sentence-transformers JSON files of a Hub model from the library's remote host. */
function hubJsonReader(hf: Transformers, model: string, revision: string): JsonReader {
  return async (relativePath) => {
    const path = hf.env.remotePathTemplate.replaceAll('{model}', model).replaceAll('{revision}', encodeURIComponent(revision))
    const url = new URL(`${path}${relativePath}`, hf.env.remoteHost).href
    let response: Response
    try {
      response = await hf.env.fetch(url)
    } catch (err) {
      throw new LlminitError(
        'ERR_LLMINIT_IO',
        `${url}: cannot fetch the model's sentence-transformers configuration (${(err as Error).message}); ` +
          'offline, download the model folder and pass it as a path, or give pooling, normalize and maxLength explicitly',
        { cause: err },
      )
    }
    if (response.status === 404) return undefined
    if (!response.ok) throw new LlminitError('ERR_LLMINIT_IO', `${url}: HTTP ${response.status}`)
    return (await response.json()) as unknown
  }
}
