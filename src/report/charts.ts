/**
 * The experiment charts as Vega-Lite specs (rendered by `renderSvg`): strategies per backbone as
 * bars with ± std error bars, validation curves per strategy, metrics by user-activity bucket, and
 * the collapse curve (metric vs d).
 */
import type { TopLevelSpec } from 'vega-lite'
import type { RunRecord } from '../experiment/record.js'
import { armName, rowsOf, seedValues, aggregate } from './summary.js'

/** Bars: one per init arm, faceted by backbone; error bars at mean ± std over seeds. */
export function strategyBarsSpec(runs: readonly RunRecord[], baseline: string, dataset: string, metric: string): TopLevelSpec {
  const values = rowsOf(runs, baseline).flatMap((row) => {
    const x = seedValues(runs, row, dataset, (r) => r.report.test[metric])
    if (x.values.length === 0) return []
    const a = aggregate(x, undefined)
    const arm = row.params ? `${row.arm} (${row.params})` : row.arm
    return [{ backbone: row.backbone, arm, mean: a.mean, lo: a.mean - a.std, hi: a.mean + a.std, seeds: a.n }]
  })
  const y = `test ${metric}`
  const labelAngle = values.every((v) => v.arm.length <= 8) ? 0 : -30
  return {
    title: `${dataset}: test ${metric} by initialization (mean ± std over seeds)`,
    data: { values },
    facet: { column: { field: 'backbone', type: 'nominal', title: 'backbone' } },
    spec: {
      width: { step: 56 },
      height: 240,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'arm', type: 'nominal', title: 'init', sort: null, axis: { labelAngle } },
            y: { field: 'mean', type: 'quantitative', title: y },
            color: { field: 'arm', type: 'nominal', title: 'init', sort: null },
            tooltip: [{ field: 'arm' }, { field: 'mean', format: '.4f' }, { field: 'seeds' }],
          },
        },
        {
          mark: { type: 'errorbar', ticks: true, color: 'black' },
          encoding: {
            x: { field: 'arm', type: 'nominal', sort: null },
            y: { field: 'lo', type: 'quantitative', title: y },
            y2: { field: 'hi' },
          },
        },
      ],
    },
  } as TopLevelSpec
}

/** Validation metric per epoch, one line per run (color = init arm, one line per seed). */
export function validationCurvesSpec(runs: readonly RunRecord[], dataset: string, backbone: string): TopLevelSpec {
  const chosen = runs.filter((r) => r.cell.dataset === dataset && r.cell.backbone === backbone)
  const metric = chosen[0]?.report.config.validMetric ?? 'ndcg@10'
  const values = chosen.flatMap((r) => {
    const arm = armName(r)
    const initial = r.report.initial?.valid[metric]
    const start = initial === undefined ? [] : [{ arm, seed: String(r.cell.seed), epoch: 0, value: initial }]
    return [...start, ...r.report.history.map((h) => ({ arm, seed: String(r.cell.seed), epoch: h.epoch, value: h.valid }))]
  })
  return {
    title: `${dataset}, ${backbone}: validation ${metric} per epoch (one line per seed)`,
    data: { values },
    width: 480,
    height: 280,
    mark: { type: 'line', point: false, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch (0 = initial tables)' },
      y: { field: 'value', type: 'quantitative', title: `validation ${metric}` },
      color: { field: 'arm', type: 'nominal', title: 'init', sort: null },
      detail: { field: 'seed', type: 'nominal' },
      strokeDash: { field: 'seed', type: 'nominal', title: 'seed' },
    },
  } as TopLevelSpec
}

/** Grouped bars: test metric per activity bucket, one bar per arm (mean over seeds). */
export function activityBarsSpec(runs: readonly RunRecord[], baseline: string, dataset: string, metric: string): TopLevelSpec {
  const withBuckets = runs.filter((r) => r.cell.dataset === dataset && r.report.byActivity?.length)
  const buckets = withBuckets[0]?.report.byActivity.map((b) => b.bucket) ?? []
  const values = rowsOf(withBuckets, baseline).flatMap((row) =>
    buckets.flatMap((bucket, j) => {
      const x = seedValues(withBuckets, row, dataset, (r) => r.report.byActivity[j]?.test[metric])
      const finite = x.values.filter(Number.isFinite)
      if (finite.length === 0) return []
      const arm = `${row.backbone} ${row.params ? `${row.arm} (${row.params})` : row.arm}`
      return [{ bucket, arm, mean: finite.reduce((a, b) => a + b, 0) / finite.length, users: withBuckets[0].report.byActivity[j].testUsers }]
    }),
  )
  return {
    title: `${dataset}: test ${metric} by user activity (training interactions)`,
    data: { values },
    width: 480,
    height: 240,
    mark: 'bar',
    encoding: {
      x: { field: 'bucket', type: 'nominal', title: 'training interactions per user', sort: buckets, axis: { labelAngle: 0 } },
      xOffset: { field: 'arm', type: 'nominal', sort: null },
      y: { field: 'mean', type: 'quantitative', title: `test ${metric}` },
      color: { field: 'arm', type: 'nominal', title: 'backbone, init', sort: null },
      tooltip: [{ field: 'bucket' }, { field: 'arm' }, { field: 'mean', format: '.4f' }, { field: 'users' }],
    },
  } as TopLevelSpec
}

export interface CollapsePoint {
  /** Embedding size d (the LLM width D for `full`). */
  d: number
  /** `random` or the selected strategy. */
  series: string
  mean: number
  std: number
}

/** Metric vs d (log₂ axis), one line per series, error bars at ± std. */
export function collapseCurveSpec(points: readonly CollapsePoint[], title: string, metric: string): TopLevelSpec {
  const values = points.map((p) => ({ ...p, lo: p.mean - p.std, hi: p.mean + p.std }))
  const ds = [...new Set(points.map((p) => p.d))].sort((a, b) => a - b)
  const x = { field: 'd', type: 'quantitative', title: 'embedding size d (the largest is the LLM width, full)', scale: { type: 'log', base: 2 }, axis: { values: ds, format: 'd' } }
  return {
    title,
    data: { values },
    width: 460,
    height: 280,
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'mean', type: 'quantitative', title: `test ${metric}` }, color: { field: 'series', type: 'nominal', title: 'init' } },
      },
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: `test ${metric}` }, y2: { field: 'hi' }, color: { field: 'series', type: 'nominal' } },
      },
    ],
  } as TopLevelSpec
}
