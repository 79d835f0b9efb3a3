/** Writes an experiment's reports into its output folder, each file atomically. */
import { join } from 'node:path'
import { writeFileAtomic } from '../io/atomic-write.js'
import { activityBarsSpec, collapseCurveSpec, strategyBarsSpec, validationCurvesSpec } from '../report/charts.js'
import { collapsePoints, collapseTable } from '../report/collapse.js'
import { experimentMarkdown } from '../report/experiment-table.js'
import { resultsCsv, resultsJson } from '../report/results-files.js'
import { datasetsOf } from '../report/summary.js'
import { renderSvg } from '../report/svg.js'
import type { RunRecord } from './record.js'

export interface ReportSettings {
  name: string
  baseline: string
  metrics: string[]
  plannedRuns: number
  configFile?: string
  notes?: string[]
  /** Draw SVG charts (default true). */
  charts?: boolean
  /** A collapse experiment: add the metric-vs-d table and curve. */
  collapse?: boolean
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-')

/** Renders and writes the experiment charts; returns them with captions, relative to `out`. */
export async function writeCharts(out: string, runs: readonly RunRecord[], s: ReportSettings): Promise<{ file: string; caption: string }[]> {
  const charts: { file: string; caption: string }[] = []
  const put = async (file: string, caption: string, spec: Parameters<typeof renderSvg>[0]) => {
    await writeFileAtomic(join(out, file), await renderSvg(spec))
    charts.push({ file, caption })
  }
  if (s.collapse) {
    for (const m of s.metrics) {
      await put(`charts/collapse-${slug(m)}.svg`, `test ${m} vs embedding size d`, collapseCurveSpec(collapsePoints(runs, s.baseline, m), `${s.name}: test ${m} vs d (mean ± std over seeds)`, m))
    }
  }
  for (const d of datasetsOf(runs)) {
    for (const m of s.metrics) await put(`charts/bars-${slug(d)}-${slug(m)}.svg`, `${d}: test ${m} by init, per backbone`, strategyBarsSpec(runs, s.baseline, d, m))
    for (const b of [...new Set(runs.filter((r) => r.cell.dataset === d).map((r) => r.cell.backbone))]) {
      await put(`charts/valid-${slug(d)}-${slug(b)}.svg`, `${d}, ${b}: validation curves per init`, validationCurvesSpec(runs, d, b))
    }
    if (runs.some((r) => r.cell.dataset === d && r.report.byActivity?.length)) {
      await put(`charts/activity-${slug(d)}.svg`, `${d}: test ${s.metrics[0]} by user activity`, activityBarsSpec(runs, s.baseline, d, s.metrics[0]))
    }
  }
  return charts
}

/** `table.md`, `results.csv`, `results.json` and `charts/*.svg` from the finished runs. */
export async function writeExperimentReports(out: string, runs: readonly RunRecord[], s: ReportSettings): Promise<void> {
  if (runs.length === 0) return
  const charts = s.charts === false ? [] : await writeCharts(out, runs, s)
  await writeFileAtomic(join(out, 'results.json'), resultsJson(s.name, runs))
  await writeFileAtomic(join(out, 'results.csv'), resultsCsv(runs))
  await writeFileAtomic(
    join(out, 'table.md'),
    experimentMarkdown(runs, {
      title: s.name,
      baseline: s.baseline,
      metrics: s.metrics,
      plannedRuns: s.plannedRuns,
      charts,
      configFile: s.configFile,
      notes: s.notes,
      ...(s.collapse
        ? {
            preface: s.metrics.flatMap((m) => [
              `## Collapse: test ${m} by embedding size d (epoch cap ${[...new Set(runs.map((r) => r.report.config.epochs))].join(', ')})`,
              '',
              `Mean ± std over seeds; change and paired signs / t-test p of the selected init vs \`${s.baseline}\` at the same d. The last row is the LLM width D, where the selected init is \`full\` (no selection).`,
              '',
              ...collapseTable(runs, s.baseline, m),
              '',
            ]),
          }
        : {}),
    }),
  )
}
