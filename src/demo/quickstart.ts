/**
 * `quickstart()`: the bundled demo. LightGCN on Amazon Office three times — random init (`none`),
 * the paper's `var`, and the recommended init — at settings that fit in a couple of minutes on
 * two cores, then a comparison and a one-line verdict computed from what was measured.
 */
import { LlminitError } from '../errors.js'
import { RECOMMENDED_INIT, type InitStrategy } from '../options.js'
import { train, type RunOptions, type TrainProgress, type TrainReport } from '../train.js'
import { BUNDLED_OFFICE } from './bundled.js'

/**
 * Quick-start settings: not the paper's protocol (batch 256, lr 1e-3, up to 300 epochs with early
 * stopping). A larger batch needs fewer steps per epoch; lr 5e-3 makes up for the fewer updates.
 * Chosen on validation NDCG@10 (seed 2020), never on test.
 */
export const QUICKSTART_DEFAULTS = {
  epochs: 30,
  batchSize: 2048,
  lr: 5e-3,
  seed: 2020,
  strategies: ['none', 'var', RECOMMENDED_INIT] as InitStrategy[],
}

export interface QuickstartOptions {
  /** Dataset and item vectors; default: the bundled Amazon Office and its MPNet vectors. */
  data?: string
  embeddings?: string
  epochs?: number
  batchSize?: number
  lr?: number
  seed?: number
  /** Strategies to compare; the first is the baseline of the verdict. Default none, var, pca. */
  strategies?: InitStrategy[]
  threads?: number
}

export interface QuickstartRun {
  strategy: InitStrategy
  report: TrainReport
}

export interface QuickstartReport {
  settings: Required<Omit<QuickstartOptions, 'threads'>> & { model: 'lightgcn'; patience: number; note: string }
  runs: QuickstartRun[]
  /** One sentence: how each strategy compares with the baseline on test Recall@10 and NDCG@10. */
  verdict: string
  totalSeconds: number
}

export type QuickstartProgress = { kind: 'run'; index: number; runs: number; strategy: InitStrategy } | (TrainProgress & { index: number; strategy: InitStrategy })

const pct = (a: number, b: number) => (b > 0 ? `${a >= b ? '+' : ''}${((100 * (a - b)) / b).toFixed(1)}%` : 'n/a')

/** The verdict sentence, from test Recall@10 / NDCG@10 of each run against the first. */
export function quickstartVerdict(runs: { strategy: string; recall: number; ndcg: number }[], recommended: string = RECOMMENDED_INIT): string {
  const [base, ...others] = runs
  if (!base || others.length === 0) return 'nothing to compare'
  const parts = others.map((r) => {
    const both = r.recall > base.recall && r.ndcg > base.ndcg
    const neither = r.recall <= base.recall && r.ndcg <= base.ndcg
    const how = both ? 'beats' : neither ? 'does not beat' : 'is mixed against'
    const tag = r.strategy === recommended ? ' (recommended)' : r.strategy === 'var' ? ' (the paper)' : ''
    return `${r.strategy}${tag} ${how} ${base.strategy}: Recall@10 ${pct(r.recall, base.recall)}, NDCG@10 ${pct(r.ndcg, base.ndcg)}`
  })
  return `${parts.join('; ')} — one seed at quick-start settings; the README gives 3-seed results at the paper's setting.`
}

/**
 * Runs the demo. Progress events carry the run index; `signal` aborts the current run.
 *
 * @throws LlminitError `ERR_LLMINIT_INVALID_OPTION` for an empty strategy list or bad settings
 *   (the same validation as `train`), and whatever `train` throws.
 */
export async function quickstart(options: QuickstartOptions = {}, run: { onProgress?: (e: QuickstartProgress) => void; signal?: AbortSignal } = {}): Promise<QuickstartReport> {
  const strategies = [...(options.strategies ?? QUICKSTART_DEFAULTS.strategies)]
  if (strategies.length === 0) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', 'quickstart: at least one strategy is needed')
  const settings = {
    data: options.data ?? BUNDLED_OFFICE.data,
    embeddings: options.embeddings ?? BUNDLED_OFFICE.embeddings,
    epochs: options.epochs ?? QUICKSTART_DEFAULTS.epochs,
    batchSize: options.batchSize ?? QUICKSTART_DEFAULTS.batchSize,
    lr: options.lr ?? QUICKSTART_DEFAULTS.lr,
    seed: options.seed ?? QUICKSTART_DEFAULTS.seed,
    strategies,
    model: 'lightgcn' as const,
    patience: 10,
    note: "quick-start settings, not the paper's protocol (batch 256, lr 1e-3, up to 300 epochs)",
  }
  const t0 = performance.now()
  const runs: QuickstartRun[] = []
  for (const [index, strategy] of strategies.entries()) {
    run.onProgress?.({ kind: 'run', index, runs: strategies.length, strategy })
    const opts: RunOptions = { signal: run.signal, onProgress: (e) => run.onProgress?.({ ...e, index, strategy }) }
    const report = await train(
      {
        data: settings.data,
        model: 'lightgcn',
        init: strategy,
        ...(strategy === 'none' ? {} : { embeddings: settings.embeddings }),
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        lr: settings.lr,
        seed: settings.seed,
        patience: settings.patience,
        evalInitial: true,
        ...(options.threads === undefined ? {} : { threads: options.threads }),
      },
      opts,
    )
    runs.push({ strategy, report })
  }
  const verdict = quickstartVerdict(runs.map((r) => ({ strategy: r.strategy, recall: r.report.test['recall@10'], ndcg: r.report.test['ndcg@10'] })))
  return { settings, runs, verdict, totalSeconds: (performance.now() - t0) / 1000 }
}
