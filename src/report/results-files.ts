/** `results.csv` (one row per run, the metrics flat) and `results.json` (every run's full report). */
import type { RunRecord } from '../experiment/record.js'

function csvField(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** Columns: the cell, the run summary, every validation/test metric, epoch-0 test metrics, the run file. */
export function resultsCsv(runs: readonly RunRecord[]): string {
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.cell.params)))]
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.report.metrics)))]
  const initialKeys = [...new Set(runs.flatMap((r) => Object.keys(r.report.initial?.test ?? {})))]
  const bucketKeys = [...new Set(runs.flatMap((r) => (r.report.byActivity ?? []).flatMap((b) => Object.keys(b.test).map((k) => `${b.bucket}|${k}`))))]
  const head = [
    'cell', 'dataset', 'backbone', 'init', 'source', 'seed', ...paramKeys, 'protocol', 'epoch_cap', 'best_epoch', 'epochs_run', 'stopped_early', 'seconds',
    ...metricKeys, ...initialKeys.map((k) => `initial.test.${k}`), ...bucketKeys.map((k) => `activity[${k.split('|')[0]}].test.${k.split('|')[1]}`), 'file',
  ]
  const rows = runs.map((r) => [
    r.cell.id, r.cell.dataset, r.cell.backbone, r.cell.arm, r.cell.source, r.cell.seed, ...paramKeys.map((k) => r.cell.params[k]), r.report.protocol,
    r.report.config.epochs, r.report.bestEpoch, r.report.epochsRun, r.report.stoppedEarly, r.report.timings.totalSeconds.toFixed(2),
    ...metricKeys.map((k) => r.report.metrics[k]), ...initialKeys.map((k) => r.report.initial?.test[k]),
    ...bucketKeys.map((k) => {
      const [bucket, m] = k.split('|')
      return r.report.byActivity?.find((b) => b.bucket === bucket)?.test[m]
    }),
    r.file,
  ])
  return [head, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n'
}

export function resultsJson(name: string, runs: readonly RunRecord[]): string {
  return JSON.stringify({ experiment: name, runs: runs.map((r) => ({ file: r.file, cell: r.cell, report: r.report })) }, null, 2) + '\n'
}
