/**
 * Low-level kernels for callers who bring their own embeddings: LightGCN propagation over a
 * training graph and full-ranking evaluation, plus `StepBench`, a handle that runs one training
 * step at a time for benchmarks and diagnostics. All are synchronous and run in Rust on a pool of
 * `threads` workers (default: all cores); they block the event loop for the kernel's duration, so
 * use `train()` for long work. Results are bit-identical for any thread count.
 */
import type { Split } from './data/types.js'
import { LlminitError } from './errors.js'
import { fromNative, native, type JsTrainOptions } from './native.js'
import { trainData } from './train.js'

/** A user table and an item table, row-major: `users` is nUsers × dim, `items` nItems × dim. */
export interface Tables {
  users: Float32Array
  items: Float32Array
}

/** Parallel dense-id arrays of equal length, one `(user, item)` pair per index. */
export interface Pairs {
  users: Uint32Array
  items: Uint32Array
}

export interface PropagateOptions {
  /** Columns of each table. */
  dim: number
  /** Propagation layers L (default 2, the paper's); 0 returns a copy of the input. */
  layers?: number
  /** Worker threads (default: all cores). */
  threads?: number
}

export interface RankingOptions {
  /** Columns of each table. */
  dim: number
  nUsers: number
  nItems: number
  /** Items excluded from each user's ranking, e.g. the training pairs (the standard protocol). */
  masks?: Pairs[]
  /** Cut-offs K (default [10, 20, 50]); each must be at most nItems. */
  ks?: number[]
  /** Worker threads (default: all cores). */
  threads?: number
}

/** Options of a `StepBench`: the training options that shape a step (defaults as in `train()`). */
export type StepBenchOptions = Pick<
  JsTrainOptions,
  'model' | 'dim' | 'layers' | 'lr' | 'batchSize' | 'regWeight' | 'seed' | 'protocol' | 'threads'
>

/** Runs a synchronous binding call, converting its `[CODE] message` errors. */
function call<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw fromNative(err)
  }
}

/** The binding takes u32s, and napi would wrap a negative or truncate a fraction silently. */
function checkCount(name: string, value: number | undefined, min: number): void {
  if (value === undefined) return
  if (!Number.isInteger(value) || value < min || value > 0xffff_ffff) {
    throw new LlminitError('ERR_LLMINIT_INVALID_PARAM', `invalid parameter \`${name}\`: must be an integer ≥ ${min}, got ${value}`)
  }
}

/**
 * The normalized training graph Â = D^{-1/2} A D^{-1/2} of LightGCN (A = [[0, R], [Rᵀ, 0]],
 * degrees + 1e-7, as RecBole), built once from the training pairs; repeated pairs count once.
 *
 * @example
 * ```ts
 * const graph = new Graph(2, 3, { users: Uint32Array.of(0, 0, 1, 1), items: Uint32Array.of(0, 1, 1, 2) })
 * const f = graph.propagate({ users: Float32Array.of(1, 2), items: Float32Array.of(3, 4, 5) }, { dim: 1, layers: 2 })
 * // f.users ≈ [2.12377, 3.09518], f.items ≈ [2.20711, 3.44281, 3.44281]
 * ```
 * @throws {LlminitError} `ERR_LLMINIT_INVALID_INPUT` if the arrays differ in length or an id is
 *   out of range (the message names the interaction and the bound).
 */
export class Graph {
  readonly #native: InstanceType<typeof native.Graph>

  constructor(nUsers: number, nItems: number, edges: Pairs) {
    checkCount('nUsers', nUsers, 0)
    checkCount('nItems', nItems, 0)
    this.#native = call(() => new native.Graph(nUsers, nItems, edges.users, edges.items))
  }

  get nUsers(): number {
    return this.#native.nUsers
  }

  get nItems(): number {
    return this.#native.nItems
  }

  /** Distinct (user, item) edges; Â stores each twice (R̃ and R̃ᵀ), 8 bytes per entry. */
  get nnz(): number {
    return this.#native.nnz
  }

  /**
   * The LightGCN layer mean F = (1/(L+1)) Σ_{l=0..L} Â^l E of the given tables, as new arrays.
   *
   * @throws {LlminitError} `ERR_LLMINIT_INVALID_INPUT` if a table does not hold rows × dim
   *   values (the message names the expected size); `ERR_LLMINIT_INVALID_PARAM` for a bad
   *   `dim`, `layers` or `threads`.
   */
  propagate(tables: Tables, options: PropagateOptions): Tables {
    const { dim, layers = 2, threads } = options
    checkCount('dim', dim, 1)
    checkCount('layers', layers, 0)
    checkCount('threads', threads, 1)
    return call(() => this.#native.propagate(tables.users, tables.items, dim, layers, threads))
  }
}

/**
 * Full-ranking evaluation of given final representations: for every user with at least one
 * target, every item is scored by ⟨user, item⟩, the user's items in `masks` are excluded, and
 * the top max(ks) are ranked (ties: the lower item id first). Returns the metrics averaged over
 * those users, keyed `recall@10`, `ndcg@10`, `mrr@10`, `hit@10`, `precision@10`, `map@10`, …
 *
 * @example
 * ```ts
 * const metrics = evaluateRanking(f, split.test, { dim: 128, nUsers, nItems, masks: [split.train, split.valid] })
 * console.log(metrics['ndcg@10'])
 * ```
 * @throws {LlminitError} `ERR_LLMINIT_INVALID_INPUT` for tables of the wrong size (the message
 *   names the expected size) or ids out of range; `ERR_LLMINIT_INVALID_PARAM` for a bad `ks`,
 *   `dim` or `threads`.
 */
export function evaluateRanking(tables: Tables, targets: Pairs, options: RankingOptions): Record<string, number> {
  const { dim, nUsers, nItems, masks = [], ks = [10, 20, 50], threads } = options
  checkCount('dim', dim, 1)
  checkCount('nUsers', nUsers, 0)
  checkCount('nItems', nItems, 0)
  checkCount('threads', threads, 1)
  for (const k of ks) checkCount('ks', k, 1)
  const list = call(() => native.evaluateRanking(tables.users, tables.items, dim, nUsers, nItems, targets, masks, ks, threads))
  return Object.fromEntries(list.map((m) => [m.name, m.value]))
}

/**
 * A benchmark and diagnostic handle: one model (`lightgcn` or `mf`) from its seeded random
 * initialization, with Adam and the negative sampler, advanced one optimizer step per `step()`.
 * Batches take `batchSize` training pairs from the seeded permutation an epoch of `train()` walks
 * (a fresh one when the next batch would pass its end), so a step touches as many rows as a
 * training step. Not a training API: no evaluation, no early stopping — use `train()`.
 *
 * @example
 * ```ts
 * const bench = new StepBench(data.nUsers, data.nItems, split, { model: 'lightgcn', batchSize: 2048 })
 * const loss = bench.step()
 * bench.close()
 * ```
 */
export class StepBench {
  readonly #native: InstanceType<typeof native.StepBench>

  /** @throws {LlminitError} for a bad option or ids out of range, as `train()` would. */
  constructor(nUsers: number, nItems: number, split: Split, options: StepBenchOptions = {}) {
    checkCount('nUsers', nUsers, 0)
    checkCount('nItems', nItems, 0)
    for (const key of ['dim', 'layers', 'batchSize', 'seed'] as const) checkCount(key, options[key], key === 'layers' || key === 'seed' ? 0 : 1)
    checkCount('threads', options.threads, 1)
    this.#native = call(() => new native.StepBench(trainData(nUsers, nItems, split), options))
  }

  /**
   * One training step (batch, negatives, loss and gradient, Adam); returns the batch's loss.
   * @throws {LlminitError} `ERR_LLMINIT_DIVERGED` on a non-finite loss.
   */
  step(): number {
    return call(() => this.#native.step())
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.#native.steps
  }

  /** Trainable parameters (both tables). */
  get nParameters(): number {
    return this.#native.nParameters
  }

  /** Frees the model and optimizer state now rather than at garbage collection. */
  close(): void {
    this.#native.close()
  }
}
