/**
 * `train()`: load → filter → split → train off the event loop → report. The same function
 * serves the CLI (`llminit train`) and scripts.
 */
import { createRequire } from 'node:module'
import { ACTIVITY_BUCKETS, activityGroups } from './data/activity.js'
import { halveTraining } from './data/halve.js'
import { loadInteractions, splitInteractions, datasetStats } from './data/index.js'
import type { DatasetStats, Split } from './data/types.js'
import { abortError } from './errors.js'
import type { EmbedProgress } from './embed/index.js'
import { buildInit, type InitConfig, type InitDiagnostics } from './init.js'
import { callNative, native, type JsEpoch, type JsGroupMetrics, type JsMetric, type JsProgress } from './native.js'
import { resolveTrainConfig, type ResolvedTrainConfig, type TrainConfig } from './options.js'

const VERSION: string = createRequire(import.meta.url)('../package.json').version

export interface EpochSummary {
  epoch: number
  loss: number
  /** The early-stopping metric on validation (`validMetric`). */
  valid: number
  trainSeconds: number
  evalSeconds: number
  improved: boolean
}

export type TrainProgress =
  | { kind: 'stage'; stage: 'load' | 'split' | 'init' | 'train'; elapsedSeconds: number }
  /** Embedding the item text (with `embedModelPath`, `embedModel` or `embedEndpoint`): items with a vector so far. */
  | { kind: 'embed'; done: number; total: number; cacheHits: number; elapsedSeconds: number }
  | { kind: 'batch'; epoch: number; batch: number; nBatches: number; elapsedSeconds: number }
  | { kind: 'epoch'; epoch: number; record: EpochSummary; elapsedSeconds: number }

export interface RunOptions {
  /** Called with stage, batch (about 50 per epoch) and epoch events. Exceptions in it are ignored. */
  onProgress?: (event: TrainProgress) => void
  /** Aborting stops training at the next batch; the promise rejects with an `AbortError`. */
  signal?: AbortSignal
}

/** Final metrics of the users in one activity bucket (training interactions in [minTrain, maxTrain]). */
export interface ActivityMetrics {
  bucket: string
  minTrain: number
  /** `null` for the open last bucket (JSON has no Infinity). */
  maxTrain: number | null
  /** Users of the bucket evaluated on validation / test. */
  validUsers: number
  testUsers: number
  valid: Record<string, number>
  test: Record<string, number>
}

export interface TrainReport {
  llminit: string
  createdAt: string
  /** `standard` or `reference` (DESIGN.md §3): numbers from the two are not comparable. */
  protocol: string
  config: ResolvedTrainConfig
  dataset: { name: string; files: string[]; stats: DatasetStats }
  model: { name: string; parameters: number }
  bestEpoch: number
  epochsRun: number
  stoppedEarly: boolean
  valid: Record<string, number>
  test: Record<string, number>
  /** Metrics of the initial tables (epoch 0), when `evalInitial` was set or `init` is not `none`. */
  initial?: { valid: Record<string, number>; test: Record<string, number> }
  /** The LLM initialization, when `init` is not `none`: strategy, file, and what was selected. */
  init?: { strategy: string; file: string; diagnostics: InitDiagnostics }
  /** The best epoch's metrics per user-activity bucket (training interactions ≤5, 6–10, 11–20, >20). */
  byActivity: ActivityMetrics[]
  /** Flat view: `valid.ndcg@10`, `test.recall@10`, … */
  metrics: Record<string, number>
  history: EpochSummary[]
  timings: { loadSeconds: number; splitSeconds: number; initSeconds: number; trainSeconds: number; totalSeconds: number; medianEpochSeconds: number }
  peakRssMB: number
}

function metricRecord(list: JsMetric[]): Record<string, number> {
  return Object.fromEntries(list.map((m) => [m.name, m.value]))
}

function epochSummary(e: JsEpoch): EpochSummary {
  return { epoch: e.epoch, loss: e.loss, valid: e.validScore, trainSeconds: e.trainSeconds, evalSeconds: e.evalSeconds, improved: e.improved }
}

/** One entry per bucket, in `ACTIVITY_BUCKETS` order; a bucket without evaluated users has empty metrics. */
function activityMetrics(valid: JsGroupMetrics[], test: JsGroupMetrics[]): ActivityMetrics[] {
  return ACTIVITY_BUCKETS.map((b, g) => {
    const v = valid.find((x) => x.group === g)
    const t = test.find((x) => x.group === g)
    return {
      bucket: b.label,
      minTrain: b.min,
      maxTrain: Number.isFinite(b.max) ? b.max : null,
      validUsers: v?.users ?? 0,
      testUsers: t?.users ?? 0,
      valid: metricRecord(v?.metrics ?? []),
      test: metricRecord(t?.metrics ?? []),
    }
  })
}

function median(values: number[]): number {
  if (values.length === 0) return 0
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** Guards the user's callback: a throw in it must not break training. */
function guard(fn?: (e: TrainProgress) => void): (e: TrainProgress) => void {
  return (e) => {
    if (!fn) return
    try {
      fn(e)
    } catch {
      // The callback's failure is the caller's concern, never a reason to stop training.
    }
  }
}

/** What `buildInit` embeds the item text with, when the config names a model or an endpoint instead of a file. */
function embedSource(cfg: ResolvedTrainConfig, signal: AbortSignal | undefined, onProgress: (e: EmbedProgress) => void): InitConfig['embed'] {
  if (cfg.embeddings !== undefined) return undefined
  const source =
    cfg.embedModelPath !== undefined
      ? { modelPath: cfg.embedModelPath }
      : cfg.embedEndpoint !== undefined
        ? { endpoint: cfg.embedEndpoint, endpointModel: cfg.embedModel }
        : cfg.embedModel !== undefined
          ? { model: cfg.embedModel }
          : undefined
  if (source === undefined) return undefined
  return { ...source, template: cfg.embedTemplate, missingText: cfg.embedMissingText, cacheDir: cfg.embedCacheDir, onProgress, onWarning: (m) => process.emitWarning(m, 'LlminitWarning'), signal }
}

/** The typed arrays the binding takes, straight from the split (no copies here). */
export function trainData(nUsers: number, nItems: number, split: Split, userGroups?: Uint8Array) {
  return {
    ...(userGroups === undefined ? {} : { userGroups }),
    nUsers,
    nItems,
    trainUsers: split.train.users,
    trainItems: split.train.items,
    validUsers: split.valid.users,
    validItems: split.valid.items,
    testUsers: split.test.users,
    testItems: split.test.items,
  }
}

/**
 * Trains a recommender on a dataset and evaluates it by full ranking.
 *
 * @example
 * ```ts
 * import { train } from 'llminit'
 * const report = await train({ data: 'data/amazon-office', model: 'lightgcn', epochs: 20 })
 * console.log(report.test['ndcg@10'])
 * ```
 */
export async function train(config: TrainConfig, options: RunOptions = {}): Promise<TrainReport> {
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  const emit = guard(options.onProgress)
  const cfg = resolveTrainConfig(config)
  const { signal } = options
  if (signal?.aborted) throw abortError()

  emit({ kind: 'stage', stage: 'load', elapsedSeconds: elapsed() })
  const t0 = performance.now()
  const columns = Object.fromEntries(
    Object.entries({ user: cfg.userColumn, item: cfg.itemColumn, rating: cfg.ratingColumn, timestamp: cfg.timestampColumn }).filter(
      ([, v]) => v !== undefined,
    ),
  )
  const data = await loadInteractions(cfg.data, {
    format: cfg.format,
    columns,
    filters: { ratingMin: cfg.ratingMin, kCore: cfg.kCore, dedupe: cfg.dedupe },
  })
  const loadSeconds = (performance.now() - t0) / 1000
  if (signal?.aborted) throw abortError()

  emit({ kind: 'stage', stage: 'split', elapsedSeconds: elapsed() })
  const t1 = performance.now()
  const fullSplit = splitInteractions(data, { mode: cfg.split, seed: cfg.seed })
  const split = cfg.halveTrain ? halveTraining(fullSplit, cfg.seed) : fullSplit
  const splitSeconds = (performance.now() - t1) / 1000
  const stats = datasetStats(data, split)

  // LLMInit tables come from the training part only (popularity = training degree).
  let init: Awaited<ReturnType<typeof buildInit>> | undefined
  const t15 = performance.now()
  if (cfg.init !== 'none') {
    emit({ kind: 'stage', stage: 'init', elapsedSeconds: elapsed() })
    init = await buildInit(data, split, {
      init: cfg.init,
      embeddings: cfg.embeddings,
      embed: embedSource(cfg, signal, (e) => emit({ kind: 'embed', ...e })),
      dim: cfg.dim,
      popularRatio: cfg.popularRatio,
      seed: cfg.seed,
      initScale: cfg.initScale,
      initMix: cfg.initMix,
      model: cfg.model,
    })
    // `full` keeps all D columns: the model's size follows the file.
    cfg.dim = init.tables.dim
    if (signal?.aborted) throw abortError()
  }
  const initSeconds = (performance.now() - t15) / 1000
  const evalInitial = cfg.evalInitial || init !== undefined

  emit({ kind: 'stage', stage: 'train', elapsedSeconds: elapsed() })
  const cancel = new native.CancelToken()
  const onAbort = () => cancel.cancel()
  signal?.addEventListener('abort', onAbort, { once: true })
  const t2 = performance.now()
  let result
  try {
    result = await callNative(() =>
      native.trainModel(
        trainData(data.nUsers, data.nItems, split, activityGroups(split.train.users, data.nUsers)),
        {
          model: cfg.model,
          dim: cfg.dim,
          layers: cfg.layers,
          lr: cfg.lr,
          batchSize: cfg.batchSize,
          epochs: cfg.epochs,
          patience: cfg.patience,
          regWeight: cfg.regWeight,
          seed: cfg.seed,
          protocol: cfg.protocol,
          ks: cfg.ks,
          validMetric: cfg.validMetric,
          evalInitial,
          threads: cfg.threads,
          sslWeight: cfg.sslWeight,
          temperature: cfg.temperature,
          noiseEps: cfg.noiseEps,
          dropRatio: cfg.dropRatio,
          view: cfg.view,
          clLayer: cfg.clLayer,
        },
        init?.tables ?? null,
        (p: JsProgress) => {
          if (p.kind === 'epoch' && p.record) {
            emit({ kind: 'epoch', epoch: p.epoch, record: epochSummary(p.record), elapsedSeconds: elapsed() })
          } else {
            emit({ kind: 'batch', epoch: p.epoch, batch: p.batch, nBatches: p.nBatches, elapsedSeconds: elapsed() })
          }
        },
        cancel,
      ),
    )
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
  const trainSeconds = (performance.now() - t2) / 1000

  const valid = metricRecord(result.valid)
  const test = metricRecord(result.test)
  const history = result.history.map(epochSummary)
  const initial =
    result.initialTest == null ? undefined : { valid: metricRecord(result.initialValid ?? []), test: metricRecord(result.initialTest) }
  return {
    llminit: VERSION,
    createdAt: new Date().toISOString(),
    protocol: cfg.protocol,
    config: cfg,
    dataset: { name: data.name, files: data.files, stats },
    model: { name: cfg.model, parameters: result.nParameters },
    bestEpoch: result.bestEpoch,
    epochsRun: history.length,
    stoppedEarly: result.stoppedEarly,
    valid,
    test,
    ...(initial === undefined ? {} : { initial }),
    ...(init === undefined ? {} : { init: { strategy: cfg.init, file: init.diagnostics.file, diagnostics: init.diagnostics } }),
    byActivity: activityMetrics(result.validGroups, result.testGroups),
    metrics: {
      ...Object.fromEntries(Object.entries(valid).map(([k, v]) => [`valid.${k}`, v])),
      ...Object.fromEntries(Object.entries(test).map(([k, v]) => [`test.${k}`, v])),
    },
    history,
    timings: { loadSeconds, splitSeconds, initSeconds, trainSeconds, totalSeconds: elapsed(), medianEpochSeconds: median(history.map((h) => h.trainSeconds + h.evalSeconds)) },
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  }
}
