/** The text `llminit quickstart` prints: settings, a results table, validation curves, the verdict. */
import type { QuickstartReport } from '../demo/quickstart.js'
import { RECOMMENDED_INIT } from '../options.js'

const f4 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(4))

function label(strategy: string): string {
  if (strategy === RECOMMENDED_INIT) return `${strategy} (recommended)`
  if (strategy === 'var') return 'var (the paper)'
  if (strategy === 'none') return 'none (random)'
  return strategy
}

function grid(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n')
}

/** Validation NDCG@10 (the early-stopping metric) at epoch 0 and every `step` epochs. */
function curves(q: QuickstartReport, step: number): string {
  const metric = q.runs[0]?.report.config.validMetric ?? 'ndcg@10'
  const last = Math.max(...q.runs.map((r) => r.report.epochsRun))
  const epochs = [0]
  for (let e = step; e < last; e += step) epochs.push(e)
  if (epochs[epochs.length - 1] !== last) epochs.push(last)
  const rows = [['epoch', ...q.runs.map((r) => r.strategy)]]
  for (const e of epochs) {
    rows.push([
      String(e),
      ...q.runs.map((r) => {
        if (e === 0) return f4(r.report.initial?.valid[metric]) + ' '
        const h = r.report.history.find((x) => x.epoch === e)
        return h ? f4(h.valid) + (h.epoch === r.report.bestEpoch ? '*' : ' ') : '–'
      }),
    ])
  }
  return `validation ${metric} by epoch (* = best epoch, whose tables are tested)\n${grid(rows)}`
}

export function quickstartText(q: QuickstartReport): string {
  const first = q.runs[0]?.report
  const s = first?.dataset.stats
  const c = first?.config
  const head = [
    first && s && c
      ? `${first.dataset.name}: ${s.users} users, ${s.items} items, ${s.interactions} interactions; LightGCN d=${c.dim} L=${c.layers}; ${c.split} split, ${first.protocol} protocol, full ranking`
      : '',
    `settings: batch ${q.settings.batchSize}, lr ${q.settings.lr}, at most ${q.settings.epochs} epochs (patience ${q.settings.patience}), seed ${q.settings.seed} — ${q.settings.note}`,
    `item vectors: ${q.settings.embeddings}`,
  ]
  const rows = [['strategy', 'test R@10', 'test N@10', 'epoch-0 R@10', 'best epoch', 'seconds']]
  for (const { strategy, report: r } of q.runs) {
    rows.push([label(strategy), f4(r.test['recall@10']), f4(r.test['ndcg@10']), f4(r.initial?.test['recall@10']), `${r.bestEpoch}/${r.epochsRun}`, r.timings.totalSeconds.toFixed(1)])
  }
  const step = q.settings.epochs > 20 ? 5 : q.settings.epochs > 10 ? 2 : 1
  return [...head, '', grid(rows), '', curves(q, step), '', `verdict: ${q.verdict}`, `total ${q.totalSeconds.toFixed(1)} s`].join('\n')
}
