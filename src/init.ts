/**
 * LLMInit (DESIGN.md §1): initial user and item tables from LLM item vectors. The item table is d
 * selected columns of the vectors (`rand`, `uni`, `var`, or `full`) or their projection onto the
 * top-d principal directions (`pca`, `whiten`), the user table the mean of each user's training
 * items' rows; `initScale: 'random-norm'` then rescales each table to the random init's mean row
 * norm. Selection, projection and the gathers run in Rust (`selectInit`); this module reads and
 * aligns the file, and measures what came out.
 */
import type { JsInitTables } from '../index.js'
import type { Interactions, Split } from './data/types.js'
import { Xoshiro128 } from './data/random.js'
import { alignEmbeddings, embedItems, readEmbeddings, type EmbedItemsOptions, type EmbedSummary, type ItemEmbeddings, type ReadEmbeddingsOptions } from './embed/index.js'
import { LlminitError } from './errors.js'
import { fromNative, native } from './native.js'
import type { InitScale, InitStrategy, Model } from './options.js'

export interface InitConfig {
  /** `rand`, `uni`, `var`, `full`, `pca` or `whiten` (`none` selects nothing: train without an `init`). */
  init: Exclude<InitStrategy, 'none'>
  /** `stored` (default) or `random-norm`: each table scaled to `model`'s random init's mean row norm. */
  initScale?: InitScale
  /** Whose random init `random-norm` matches: `lightgcn` (xavier_uniform, default) or `mf` (xavier_normal). */
  model?: Model
  /** The item vectors file; see `readEmbeddings`. Or, instead, `embed`. */
  embeddings?: string
  /** Embed the items' text (see `embedItems`; the dataset is `data`) when no `embeddings` file is given. */
  embed?: Omit<EmbedItemsOptions, 'data'>
  /** Columns to select, or principal directions to keep (ignored by `full`, which takes all D). Default 128. */
  dim?: number
  /** Share of the `dim` columns (the last ones) taken from `model`'s random init instead of the vectors, in [0, 1). Default 0. */
  initMix?: number
  /** Share of items, by training degree, that `var` computes variances over. Default 0.2. */
  popularRatio?: number
  /** Seeds `rand`'s draws, the random columns of `initMix` and the cosine sample. Default 2020. */
  seed?: number
  idColumn?: ReadEmbeddingsOptions['idColumn']
  vectorColumn?: ReadEmbeddingsOptions['vectorColumn']
}

export interface RowNorms {
  min: number
  mean: number
  max: number
}

/** What the selection chose and what the initial tables look like. */
export interface InitDiagnostics {
  strategy: Exclude<InitStrategy, 'none'>
  /** The embeddings file, or the model that embedded the item text (e.g. `onnx:all-MiniLM-L6-v2`). */
  file: string
  /** When the item text was embedded: the source, counts, cache hits and seconds (see `embedItems`). */
  embedding?: EmbedSummary
  /** D, the length of the file's vectors, and d, the columns kept. */
  vectorDim: number
  dim: number
  /** Selected dimensions (0-based, of D): draw order for `rand`, ascending otherwise; for `pca`/`whiten` the components 0 … d−1. */
  indices: number[]
  /** Unbiased variance of each selected dimension, over `varianceItems` items; for `pca`/`whiten` each component's eigenvalue. */
  variances: number[]
  /** Over how many items `variances` were computed: the popular ones for `var`, all otherwise. */
  varianceItems: number
  /** Mean cosine similarity of item init vectors over `cosinePairs` seeded random pairs i ≠ j. */
  meanPairwiseCosine: number
  cosinePairs: number
  /** `stored` or `random-norm`, and the factors the item and user tables were multiplied by (1 when stored). */
  initScale: InitScale
  itemScale: number
  userScale: number
  /** With `random-norm`, the random init's expected row norm per table (the targets); 0 when stored. */
  itemTargetNorm: number
  userTargetNorm: number
  /** How many of the `dim` columns (the last ones) came from the random init (`initMix`); 0 for a pure LLM init. */
  randomColumns: number
  /** Row norms of the tables as returned (after any rescaling). */
  itemNorms: RowNorms
  userNorms: RowNorms
  /** Effective rank (Roy & Vetterli) of the item table: 1 (collapsed onto a line) … `dim` (every direction equally strong). */
  itemEffectiveRank: number
  /** Users with no training item (they start at zero). */
  usersWithoutItems: number
  /** Reading the vectors (or embedding them, cache included) and aligning them to the items. */
  loadSeconds: number
  /** Of `loadSeconds`, the time spent embedding the item text (0 when read from a file). */
  embedSeconds: number
  selectSeconds: number
}

export interface BuiltInit {
  /** What `trainModel` takes as `init`: users nUsers × dim, items nItems × dim. */
  tables: JsInitTables
  diagnostics: InitDiagnostics
}

/** Pairs sampled for the mean cosine (all pairs when there are fewer). */
export const COSINE_PAIRS = 2000

/**
 * Builds LLMInit tables for `data` (whose `itemIds` key the embeddings file) from the training
 * part of `split` only: popularity is training degree, users average their training items.
 *
 * @example
 * ```ts
 * const data = await loadInteractions('amazon-office')
 * const split = splitInteractions(data, { mode: 'loo-random', seed: 2020 })
 * const { tables, diagnostics } = await buildInit(data, split, { init: 'var', embeddings: 'amazon-office.mpnet.parquet' })
 * ```
 * @throws LlminitError `ERR_LLMINIT_IO`/`ERR_LLMINIT_DATA` for the file (see `readEmbeddings`,
 *   `alignEmbeddings`), `ERR_LLMINIT_INVALID_PARAM` for a d the strategy cannot take (d > D for
 *   `uni`/`var`/`pca`/`whiten`, too few popular items, a `whiten` component of ~zero variance),
 *   `ERR_LLMINIT_INVALID_OPTION` for an unknown strategy.
 */
export async function buildInit(data: Interactions, split: Split, config: InitConfig): Promise<BuiltInit> {
  const strategies = ['rand', 'uni', 'var', 'full', 'pca', 'whiten']
  if (!strategies.includes(config.init)) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `init must be one of ${strategies.join(', ')} to build tables, got ${JSON.stringify(config.init)}`)
  }
  const seed = config.seed ?? 2020
  const t0 = performance.now()
  const { emb, embedding } = await itemVectors(data, config)
  const x = alignEmbeddings(emb, data.itemIds, emb.file)
  const loadSeconds = (performance.now() - t0) / 1000

  const t1 = performance.now()
  let selected
  try {
    selected = native.selectInit(
      x,
      data.nItems,
      emb.dim,
      config.init,
      config.init === 'full' ? emb.dim : (config.dim ?? 128),
      split.train.users,
      split.train.items,
      data.nUsers,
      config.popularRatio ?? 0.2,
      seed,
      config.initScale ?? 'stored',
      config.model ?? 'lightgcn',
      config.initMix ?? 0,
    )
  } catch (err) {
    throw fromNative(err)
  }
  const selectSeconds = (performance.now() - t1) / 1000

  const { users, items, dim } = selected
  const varianceItems = config.init === 'var' ? Math.min(data.nItems, Math.ceil((config.popularRatio ?? 0.2) * data.nItems)) : data.nItems
  const cosine = meanPairwiseCosine(items, data.nItems, dim, seed)
  const degree = new Uint32Array(data.nUsers)
  for (const u of split.train.users) degree[u]++
  return {
    tables: { dim, users, items },
    diagnostics: {
      strategy: config.init,
      file: emb.file,
      ...(embedding === undefined ? {} : { embedding }),
      vectorDim: emb.dim,
      dim,
      indices: Array.from(selected.indices),
      variances: Array.from(selected.variances),
      varianceItems,
      initScale: selected.initScale as InitScale,
      itemScale: selected.itemScale,
      userScale: selected.userScale,
      randomColumns: selected.randomColumns,
      itemTargetNorm: selected.itemTargetNorm,
      userTargetNorm: selected.userTargetNorm,
      meanPairwiseCosine: cosine.mean,
      cosinePairs: cosine.pairs,
      itemNorms: rowNorms(items, data.nItems, dim),
      userNorms: rowNorms(users, data.nUsers, dim),
      itemEffectiveRank: selected.itemEffectiveRank,
      usersWithoutItems: degree.reduce((n, d) => n + (d === 0 ? 1 : 0), 0),
      loadSeconds,
      embedSeconds: embedding?.seconds ?? 0,
      selectSeconds,
    },
  }
}

/** The vectors from the file, or embedded from the item text. */
async function itemVectors(data: Interactions, config: InitConfig): Promise<{ emb: ItemEmbeddings; embedding?: EmbedSummary }> {
  if (config.embeddings !== undefined) {
    return { emb: await readEmbeddings(config.embeddings, { idColumn: config.idColumn, vectorColumn: config.vectorColumn }) }
  }
  if (config.embed === undefined) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', 'LLM initialization needs item vectors: embeddings (a file) or embed (a model or endpoint)')
  const emb = await embedItems({ ...config.embed, data })
  return { emb, embedding: emb.summary }
}

/** Euclidean norms of the rows of a `rows × dim` table: min, mean, max. */
export function rowNorms(table: Float32Array, rows: number, dim: number): RowNorms {
  if (rows === 0) return { min: 0, mean: 0, max: 0 }
  let min = Infinity
  let max = 0
  let sum = 0
  for (let r = 0; r < rows; r++) {
    const n = Math.sqrt(dot(table, r, r, dim))
    min = Math.min(min, n)
    max = Math.max(max, n)
    sum += n
  }
  return { min, mean: sum / rows, max }
}

/**
 * Mean cosine of distinct rows i ≠ j: over every pair when there are at most `maxPairs`, else
 * over `maxPairs` pairs drawn uniformly (with replacement) by a generator seeded with `seed`.
 * Pairs with a zero row are skipped; `pairs` counts the ones used.
 */
export function meanPairwiseCosine(table: Float32Array, rows: number, dim: number, seed: number, maxPairs = COSINE_PAIRS): { mean: number; pairs: number } {
  let sum = 0
  let used = 0
  const add = (i: number, j: number) => {
    const denom = Math.sqrt(dot(table, i, i, dim) * dot(table, j, j, dim))
    if (denom > 0) {
      sum += dot(table, i, j, dim) / denom
      used++
    }
  }
  if ((rows * (rows - 1)) / 2 <= maxPairs) {
    for (let i = 0; i < rows; i++) for (let j = i + 1; j < rows; j++) add(i, j)
  } else {
    const rng = Xoshiro128.seeded(seed)
    for (let k = 0; k < maxPairs; k++) {
      const i = rng.below(rows)
      let j = rng.below(rows - 1)
      if (j >= i) j++
      add(i, j)
    }
  }
  return { mean: used === 0 ? 0 : sum / used, pairs: used }
}

function dot(t: Float32Array, i: number, j: number, dim: number): number {
  let s = 0
  const a = i * dim
  const b = j * dim
  for (let k = 0; k < dim; k++) s += t[a + k] * t[b + k]
  return s
}
