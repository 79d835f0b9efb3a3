/**
 * `embedItems`: the text of every item of a dataset (a template over its `.item` file) embedded
 * by a local ONNX model or an OpenAI-compatible endpoint, through the content-hash cache. The
 * result is what the embedding-file readers return, so it aligns and initializes the same way.
 */
import { loadInteractions } from '../data/index.js'
import type { Interactions } from '../data/types.js'
import { abortError, dataError, LlminitError } from '../errors.js'
import { defaultCacheDir, EmbeddingCache, itemKey } from './cache.js'
import type { Embedder } from './embedder.js'
import { openEndpoint, type EndpointOptions } from './endpoint.js'
import { itemTexts, MISSING_TEXT_POLICIES, type MissingTextPolicy } from './item-text.js'
import { describeLocalModel, openLocalModel, type LocalModelOptions } from './local-model.js'
import type { ItemEmbeddings } from './types.js'

export interface EmbedSourceOptions extends Omit<LocalModelOptions, 'transformersModule'> {
  /** An OpenAI-compatible endpoint (instead of `modelPath`/`model`), with `endpointModel`. */
  endpoint?: string
  endpointModel?: string
  apiKeyEnv?: EndpointOptions['apiKeyEnv']
  concurrency?: EndpointOptions['concurrency']
  dimensions?: EndpointOptions['dimensions']
  retry?: EndpointOptions['retry']
}

export interface EmbedItemsOptions extends EmbedSourceOptions {
  /** A dataset (folder or `.inter` file; its `.item` file holds the text), or one already loaded. */
  data: string | Interactions
  /** Text template over `.item` columns, e.g. `"{title}. {categories}. {brand}"`; default: the text-like columns. */
  template?: string
  /** Items without text: `error` (default) or `zero` (a zero vector, and a warning). */
  missingText?: MissingTextPolicy
  /** Texts per model call or request (default 64). */
  batchSize?: number
  /** Cache folder (default `defaultCacheDir()`); `cache: false` reads and writes no cache. */
  cacheDir?: string
  cache?: boolean
  /** Embed only the first `limit` items of the dataset (in dense-id order). */
  limit?: number
  onProgress?: (event: EmbedProgress) => void
  /** Warnings (items given a zero vector); default: none are printed. */
  onWarning?: (message: string) => void
  signal?: AbortSignal
  /** For tests: the module to import instead of `@huggingface/transformers`. */
  transformersModule?: string
}

export interface EmbedProgress {
  /** Items with a vector so far (cached ones count at once), of `total`. */
  done: number
  total: number
  cacheHits: number
  elapsedSeconds: number
}

export interface EmbedSummary {
  /** The source, e.g. `onnx:all-MiniLM-L6-v2` or `nomic-embed-text@http://localhost:11434/v1/embeddings`. */
  source: string
  template: string
  items: number
  dim: number
  /** Distinct texts sent to the model, and items whose vector came from the cache. */
  embedded: number
  cacheHits: number
  /** Items without text (zero vectors under `missingText: 'zero'`). */
  missingText: number
  /** Whole call; of which loading the model, and running it. */
  seconds: number
  loadSeconds: number
  embedSeconds: number
  /** `items / seconds`, and `embedded / embedSeconds` (the model's own rate; 0 when nothing was embedded). */
  itemsPerSecond: number
  modelItemsPerSecond: number
  /** The cache file, when caching. */
  cacheFile?: string
}

export interface EmbeddedItems extends ItemEmbeddings {
  summary: EmbedSummary
}

/** Texts per round between cache saves (so an interrupted run keeps most of its work). */
const SAVE_EVERY = 2048

/**
 * Embeds the text of every item of a dataset.
 *
 * @example
 * ```ts
 * const emb = await embedItems({ data: 'data/amazon-office', modelPath: 'models/all-MiniLM-L6-v2' })
 * await writeEmbeddings('office.minilm.parquet', emb)
 * ```
 * @throws LlminitError `ERR_LLMINIT_INVALID_OPTION` (no or two sources, a bad template or one
 *   naming an unknown column), `ERR_LLMINIT_DATA` (an item without text under `missingText:
 *   'error'`, naming its id), `ERR_LLMINIT_IO` (a missing model folder), `ERR_LLMINIT_MISSING_DEPENDENCY`
 *   (a local model without `@huggingface/transformers`), `ERR_LLMINIT_ENDPOINT` (authentication,
 *   retries exhausted, a malformed answer or a wrong dimension).
 */
export async function embedItems(options: EmbedItemsOptions): Promise<EmbeddedItems> {
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  const batchSize = options.batchSize ?? 64
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `batchSize must be a positive integer, got ${batchSize}`)
  const policy = options.missingText ?? 'error'
  if (!MISSING_TEXT_POLICIES.includes(policy)) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `missingText must be one of ${MISSING_TEXT_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`)
  }
  const source = await describeSource(options)
  const data = typeof options.data === 'string' ? await loadInteractions(options.data) : options.data
  const itemFile = data.files.find((f) => f.endsWith('.item')) ?? data.name
  const ids = options.limit === undefined ? data.itemIds : data.itemIds.slice(0, options.limit)
  const texts = itemTexts(ids, data.itemTable, itemFile, { template: options.template })

  const missing = texts.texts.flatMap((t, k) => (t === '' ? [k] : []))
  if (missing.length > 0) {
    const first = `item id "${texts.ids[missing[0]]}"`
    const others = missing.length > 1 ? ` (and ${missing.length - 1} other item(s))` : ''
    if (policy === 'error') {
      throw dataError(itemFile, undefined, `${first}${others} has no text under the template ${JSON.stringify(texts.template)}; choose missingText 'zero' (--missing-text zero) to give such items a zero vector`)
    }
    options.onWarning?.(`${missing.length} item(s) without text under the template ${JSON.stringify(texts.template)} get a zero vector (first: ${first})`)
  }

  const cache = options.cache === false ? undefined : await EmbeddingCache.open(options.cacheDir ?? defaultCacheDir(), source.identity)
  const keys = texts.texts.map((t) => (t === '' ? '' : itemKey(source.identity, texts.template, t)))
  const todo = new Map<string, string>() // key → text, each distinct text once
  let cacheHits = 0
  keys.forEach((key, k) => {
    if (key === '') return
    if (cache?.get(key) !== undefined) cacheHits++
    else todo.set(key, texts.texts[k])
  })
  const total = ids.length
  const report = guarded(options.onProgress)
  let lastDone = -1
  const emit = (event: EmbedProgress) => {
    if (event.done === lastDone) return
    lastDone = event.done
    report(event)
  }
  let done = total - keys.filter((key) => key !== '' && todo.has(key)).length
  if (todo.size > 0) emit({ done, total, cacheHits, elapsedSeconds: elapsed() })

  const fresh = new Map<string, Float32Array>()
  let loadSeconds = 0
  let embedSeconds = 0
  if (todo.size > 0) {
    const t0 = performance.now()
    const embedder = await source.open()
    loadSeconds = (performance.now() - t0) / 1000
    const waiting = keys.map((key) => (todo.has(key) ? 1 : 0))
    const itemsOfKey = countBy(keys, waiting)
    // Shortest texts first, so the model's length-sorted batches pad little within each round.
    const pending = [...todo.entries()].sort((a, b) => a[1].length - b[1].length)
    const t1 = performance.now()
    try {
      for (let start = 0; start < pending.length; start += SAVE_EVERY) {
        if (options.signal?.aborted) throw abortError()
        const round = pending.slice(start, start + SAVE_EVERY)
        const before = done
        const { dim, vectors } = await embedder.embed(
          round.map(([, text]) => text),
          {
            batchSize,
            signal: options.signal,
            onProgress: (n) => emit({ done: before + itemCount(round, n, itemsOfKey), total, cacheHits, elapsedSeconds: elapsed() }),
          },
        )
        round.forEach(([key], r) => {
          const vector = vectors.subarray(r * dim, (r + 1) * dim)
          fresh.set(key, vector)
          cache?.put(key, vector)
        })
        done = before + itemCount(round, round.length, itemsOfKey)
        await cache?.save()
      }
    } finally {
      embedSeconds = (performance.now() - t1) / 1000
      await embedder.close()
      await cache?.save().catch(() => false)
    }
  }

  const dim = fresh.values().next().value?.length ?? cache?.dim
  if (dim === undefined) throw dataError(itemFile, undefined, 'no item has text: nothing to embed')
  const vectors = new Float32Array(total * dim)
  keys.forEach((key, k) => {
    if (key === '') return
    const v = fresh.get(key) ?? cache!.get(key)!
    if (v.length !== dim) throw dataError(cache?.file ?? itemFile, undefined, `cached vectors of length ${v.length}, the model gives ${dim}: delete the cache file`)
    vectors.set(v, k * dim)
  })
  const seconds = elapsed()
  emit({ done: total, total, cacheHits, elapsedSeconds: seconds })
  return {
    file: source.label,
    ids: texts.ids,
    dim,
    vectors,
    summary: {
      source: source.label,
      template: texts.template,
      items: total,
      dim,
      embedded: todo.size,
      cacheHits,
      missingText: missing.length,
      seconds,
      loadSeconds,
      embedSeconds,
      itemsPerSecond: seconds > 0 ? total / seconds : 0,
      modelItemsPerSecond: embedSeconds > 0 ? todo.size / embedSeconds : 0,
      ...(cache === undefined ? {} : { cacheFile: cache.file }),
    },
  }
}

interface DescribedSource {
  label: string
  identity: Readonly<Record<string, unknown>>
  open(): Promise<Embedder>
}

/** Picks the one source asked for and computes its identity without loading a model. */
async function describeSource(options: EmbedItemsOptions): Promise<DescribedSource> {
  const given = (['modelPath', 'model', 'endpoint'] as const).filter((k) => options[k] !== undefined)
  if (given.length !== 1) {
    throw new LlminitError(
      'ERR_LLMINIT_INVALID_OPTION',
      given.length === 0
        ? 'no embedding source: give modelPath (a model folder), model (a Hub id) or endpoint (with endpointModel)'
        : `give one embedding source, not ${given.join(' and ')}`,
    )
  }
  if (options.endpoint !== undefined) {
    if (options.endpointModel === undefined) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `endpoint ${options.endpoint}: endpointModel (the model name the server knows) is required`)
    const embedder = openEndpoint({
      url: options.endpoint,
      model: options.endpointModel,
      apiKeyEnv: options.apiKeyEnv,
      concurrency: options.concurrency,
      dimensions: options.dimensions,
      retry: options.retry,
    })
    return { label: embedder.label, identity: embedder.identity, open: async () => embedder }
  }
  const local: LocalModelOptions = { ...options, transformersModule: options.transformersModule }
  const described = await describeLocalModel(local)
  return { label: described.label, identity: described.identity, open: () => openLocalModel(local, described) }
}

/** How many dataset items share each key (items with the same text share one embedding). */
function countBy(keys: readonly string[], include: readonly number[]): Map<string, number> {
  const counts = new Map<string, number>()
  keys.forEach((key, k) => {
    if (include[k]) counts.set(key, (counts.get(key) ?? 0) + 1)
  })
  return counts
}

/** Items covered by the first `n` texts of a round. */
function itemCount(round: readonly [string, string][], n: number, itemsOfKey: Map<string, number>): number {
  let items = 0
  for (let r = 0; r < n; r++) items += itemsOfKey.get(round[r][0]) ?? 1
  return items
}

function guarded(fn?: (event: EmbedProgress) => void): (event: EmbedProgress) => void {
  return (event) => {
    try {
      fn?.(event)
    } catch {
      // A failing progress callback is the caller's concern, never a reason to stop embedding.
    }
  }
}
