/** Plain-text metric tables for the terminal: one row per metric, one column per K. */
import type { TrainReport } from '../train.js'

const ORDER = ['recall', 'ndcg', 'mrr', 'hit', 'precision', 'map']

export function metricsTable(title: string, metrics: Record<string, number>): string {
  const ks = [...new Set(Object.keys(metrics).map((k) => Number(k.split('@')[1])))].sort((a, b) => a - b)
  const names = ORDER.filter((m) => ks.some((k) => metrics[`${m}@${k}`] !== undefined))
  const head = [title.padEnd(10), ...ks.map((k) => `@${k}`.padStart(8))].join(' ')
  const rows = names.map((m) => [m.padEnd(10), ...ks.map((k) => (metrics[`${m}@${k}`] ?? NaN).toFixed(4).padStart(8))].join(' '))
  return [head, ...rows].join('\n')
}

/** The summary printed after `llminit train`. */
export function trainSummary(r: TrainReport): string {
  const s = r.dataset.stats
  const c = r.config
  const lines = [
    `${r.dataset.name}: ${s.users} users, ${s.items} items, ${s.interactions} interactions (train ${s.train}, valid ${s.valid}, test ${s.test})`,
    `${c.model} d=${c.dim}${c.model === 'lightgcn' ? ` L=${c.layers}` : ''} lr=${c.lr} batch=${c.batchSize} seed=${c.seed} split=${c.split} protocol=${r.protocol}`,
    `best epoch ${r.bestEpoch} of ${r.epochsRun}${r.stoppedEarly ? ' (early stop)' : ''}; ${r.model.parameters.toLocaleString('en-US')} parameters; ` +
      `${r.timings.medianEpochSeconds.toFixed(2)} s/epoch; ${r.timings.totalSeconds.toFixed(1)} s total; peak RSS ${r.peakRssMB.toFixed(0)} MB`,
    ...(r.init
      ? [
          `init ${r.init.strategy} from ${r.init.file}: ${r.init.diagnostics.indices.length} dimensions` +
            (r.init.diagnostics.randomColumns > 0 ? ` + ${r.init.diagnostics.randomColumns} random (--init-mix ${c.initMix})` : ''),
        ]
      : []),
    ...(r.initial ? ['', metricsTable('test@ep0', r.initial.test)] : []),
    '',
    metricsTable('valid', r.valid),
    '',
    metricsTable('test', r.test),
    ...activityLine(r),
  ]
  return lines.join('\n')
}

/** Test `validMetric` per user-activity bucket, one line (empty when the report has no buckets). */
function activityLine(r: TrainReport): string[] {
  const metric = r.config.validMetric
  const parts = (r.byActivity ?? []).filter((b) => b.testUsers > 0).map((b) => `${b.bucket}: ${(b.test[metric] ?? NaN).toFixed(4)} (${b.testUsers} users)`)
  return parts.length ? ['', `test ${metric} by training interactions per user — ${parts.join(', ')}`] : []
}
