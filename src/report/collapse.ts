/**
 * The collapse report: test metric by embedding size d for random init and the selected init
 * (the paper's "embedding collapse": using all D LLM dimensions, `full`, is not better).
 */
import type { RunRecord } from '../experiment/record.js'
import type { CollapsePoint } from './charts.js'
import { mean, pairedTTest, sampleStd, significanceMark } from './stats.js'

/** `random` for the baseline arm, else the selected series (its `full` run sits at d = D). */
function seriesOf(r: RunRecord, baseline: string): string {
  return r.cell.arm === baseline ? baseline : 'selected'
}

function byD(runs: readonly RunRecord[], baseline: string, metric: string): Map<number, Map<string, RunRecord[]>> {
  const out = new Map<number, Map<string, RunRecord[]>>()
  for (const r of runs) {
    if (r.report.test[metric] === undefined) continue
    const d = r.report.config.dim
    const series = seriesOf(r, baseline)
    if (!out.has(d)) out.set(d, new Map())
    const m = out.get(d)!
    m.set(series, [...(m.get(series) ?? []), r].sort((a, b) => a.cell.seed - b.cell.seed))
  }
  return new Map([...out.entries()].sort(([a], [b]) => a - b))
}

/** Points for the curve: one per d and series; the selected series is labelled with its arms. */
export function collapsePoints(runs: readonly RunRecord[], baseline: string, metric: string): CollapsePoint[] {
  const arms = [...new Set(runs.filter((r) => r.cell.arm !== baseline).map((r) => r.cell.arm))].join(' / ')
  return [...byD(runs, baseline, metric).entries()].flatMap(([d, m]) =>
    [...m.entries()].map(([series, rs]) => {
      const xs = rs.map((r) => r.report.test[metric])
      return { d, series: series === 'selected' ? arms : series, mean: mean(xs), std: sampleStd(xs) }
    }),
  )
}

/** Rows d (the last is D, where the selected arm is `full`), columns random / selected / change. */
export function collapseTable(runs: readonly RunRecord[], baseline: string, metric: string): string[] {
  const lines = [`| d | ${baseline} init: test ${metric} | selected init | arm | change | paired signs | p |`, '|---|---|---|---|---|---|---|']
  for (const [d, m] of byD(runs, baseline, metric)) {
    const base = m.get(baseline) ?? []
    const sel = m.get('selected') ?? []
    const show = (rs: RunRecord[]) => {
      const xs = rs.map((r) => r.report.test[metric])
      if (xs.length === 0) return '—'
      return xs.length > 1 ? `${mean(xs).toFixed(4)} ± ${sampleStd(xs).toFixed(4)}` : mean(xs).toFixed(4)
    }
    const seeds = sel.map((r) => r.cell.seed).filter((s) => base.some((b) => b.cell.seed === s))
    const at = (rs: RunRecord[], s: number) => rs.find((r) => r.cell.seed === s)!.report.test[metric]
    const test = seeds.length ? pairedTTest(seeds.map((s) => at(sel, s)), seeds.map((s) => at(base, s))) : undefined
    const bm = mean(base.map((r) => r.report.test[metric]))
    const sm = mean(sel.map((r) => r.report.test[metric]))
    const change = base.length && sel.length ? `${sm >= bm ? '+' : '−'}${Math.abs(((sm - bm) / bm) * 100).toFixed(1)}%` : '—'
    const p = test && !Number.isNaN(test.p) ? `${test.p.toFixed(3)}${significanceMark(test.p)}` : 'n/a'
    lines.push(`| ${d} | ${show(base)} | ${show(sel)} | ${[...new Set(sel.map((r) => r.cell.arm))].join(', ') || '—'} | ${change} | ${test?.signs ?? '—'} | ${p} |`)
  }
  return lines
}
