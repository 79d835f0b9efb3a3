/**
 * `table.md` of an experiment: the protocol, then a table like the paper's (rows backbone × init
 * arm, columns dataset × test metric; mean ± std over seeds, best per column in bold, relative
 * change and paired test vs the baseline arm), the runs behind each cell (best epochs, seconds),
 * the significance details, metrics by user activity, and links to the charts. Every number is
 * computed from the run files it links to.
 */
import type { RunRecord } from '../experiment/record.js'
import { canonicalJson } from '../experiment/record.js'
import { aggregate, datasetsOf, rowsOf, runsOf, seedValues, type Aggregate, type RowKey } from './summary.js'
import { mean, significanceMark } from './stats.js'

export interface ReportOptions {
  title: string
  baseline: string
  metrics: string[]
  /** Runs the grid has in all (finished or not), for the status line. */
  plannedRuns: number
  /** Chart files relative to the report, with a caption each. */
  charts?: { file: string; caption: string }[]
  /** The experiment file, for the protocol. */
  configFile?: string
  /** Extra lines under the protocol (e.g. what a command compares). */
  notes?: string[]
  /** Markdown inserted before the main table (e.g. the collapse table). */
  preface?: string[]
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '—')
const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`
const pValue = (p: number) => (Number.isNaN(p) ? 'n/a' : p < 0.001 ? p.toExponential(1) : p.toFixed(3))

/** The one value or `a | b | …` when runs differ, for the protocol lines. */
function values(runs: readonly RunRecord[], pick: (r: RunRecord) => unknown): string {
  const seen = [...new Set(runs.map((r) => canonicalJson(pick(r) ?? null)))].map((s) => JSON.parse(s) as unknown)
  const show = (v: unknown) => (v === null ? 'off' : Array.isArray(v) ? v.join(', ') : String(v))
  return seen.length === 1 ? show(seen[0]) : `varies: ${seen.map(show).join(' | ')}`
}

export function protocolSection(runs: readonly RunRecord[], opts: Pick<ReportOptions, 'configFile' | 'notes'>): string[] {
  const c = (r: RunRecord) => r.report.config
  const seeds = [...new Set(runs.map((r) => r.cell.seed))].sort((a, b) => a - b)
  const capped = runs.filter((r) => !r.report.stoppedEarly && r.report.epochsRun >= c(r).epochs).length
  const lines = [
    '## Protocol',
    '',
    ...(opts.configFile ? [`- experiment file: \`${opts.configFile}\``] : []),
    `- llminit ${values(runs, (r) => r.report.llminit)}; evaluation protocol **${values(runs, (r) => r.report.protocol)}** (standard: training items masked at ranking; numbers are not comparable across protocols)`,
    `- split: ${values(runs, (r) => c(r).split)} (seeded per run); filters: rating ≥ ${values(runs, (r) => c(r).ratingMin)}, k-core ${values(runs, (r) => c(r).kCore)}, dedupe ${values(runs, (r) => c(r).dedupe)}; halved training (cold start) ${values(runs, (r) => c(r).halveTrain)}`,
    `- full ranking over all items; K = ${values(runs, (r) => c(r).ks)}; early stopping on validation ${values(runs, (r) => c(r).validMetric)}, patience ${values(runs, (r) => c(r).patience)}; **epoch cap ${values(runs, (r) => c(r).epochs)}** (${capped} of ${runs.length} runs stopped at the cap, not early)`,
    `- d = ${values(runs, (r) => c(r).dim)}, layers ${values(runs, (r) => c(r).layers)}, lr ${values(runs, (r) => c(r).lr)}, batch ${values(runs, (r) => c(r).batchSize)}, reg ${values(runs, (r) => c(r).regWeight)}; seeds ${seeds.join(', ')}`,
    '- datasets (after filters; train/valid/test as used, after any halving):',
    ...datasetsOf(runs).map((d) => {
      const dr = runs.filter((r) => r.cell.dataset === d)
      const s = values(dr, (r) => {
        const x = r.report.dataset.stats
        return `${x.users} users, ${x.items} items, ${x.interactions} interactions (density ${x.density.toExponential(2)}), train ${x.train} / valid ${x.valid} / test ${x.test}`
      })
      const withVectors = dr.filter((r) => r.report.init)
      const emb = withVectors.length ? `; item vectors \`${values(withVectors, (r) => r.report.init?.file)}\`` : ''
      return `  - **${d}** (\`${values(dr, (r) => c(r).data)}\`): ${s}${emb}`
    }),
    ...(opts.notes ?? []).map((n) => `- ${n}`),
  ]
  return lines
}

function rowLabel(k: RowKey): string[] {
  return [k.backbone, k.params ? `${k.arm} (${k.params})` : k.arm]
}

/** The baseline row of `row`'s block (same backbone and grid values). */
function baselineOf(row: RowKey, baseline: string): RowKey {
  return { ...row, arm: baseline }
}

/** The main table: rows × (dataset × metric) of test metrics. */
export function resultsTable(runs: readonly RunRecord[], baseline: string, metrics: readonly string[]): string[] {
  const rows = rowsOf(runs, baseline)
  const datasets = datasetsOf(runs)
  const cols = datasets.flatMap((d) => metrics.map((m) => ({ d, m })))
  const agg = rows.map((row) =>
    cols.map(({ d, m }): Aggregate | undefined => {
      const x = seedValues(runs, row, d, (r) => r.report.test[m])
      if (x.values.length === 0) return undefined
      const base = row.arm === baseline ? undefined : seedValues(runs, baselineOf(row, baseline), d, (r) => r.report.test[m])
      return aggregate(x, base)
    }),
  )
  // Best mean per column within each backbone block (rows that share backbone and grid values).
  const block = (k: RowKey) => `${k.backbone}\u0000${k.params}`
  const best = cols.map((_, j) => {
    const top = new Map<string, number>()
    rows.forEach((row, i) => {
      const a = agg[i][j]
      if (a && (top.get(block(row)) ?? -Infinity) < a.mean) top.set(block(row), a.mean)
    })
    return top
  })
  const head = ['backbone', 'init', ...cols.map(({ d, m }) => `${d} ${m}`)]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  rows.forEach((row, i) => {
    const cells = cols.map((_, j) => {
      const a = agg[i][j]
      if (!a) return '—'
      const value = a.mean === best[j].get(block(row)) ? `**${f4(a.mean)}**` : f4(a.mean)
      // One seed has no spread: no ± rather than a misleading ± 0.0000.
      let s = a.n > 1 ? `${value} ± ${f4(a.std)}` : value
      if (a.relative !== undefined) s += ` (${pct(a.relative)})`
      if (a.test) s += ` ${a.test.signs}${significanceMark(a.test.p)}`
      return s
    })
    lines.push(`| ${[...rowLabel(row), ...cells].join(' | ')} |`)
  })
  return lines
}

/** Best epoch per seed (each linked to its run file), epochs run and seconds per run. */
export function runsTable(runs: readonly RunRecord[], baseline: string): string[] {
  const rows = rowsOf(runs, baseline)
  const datasets = datasetsOf(runs)
  const head = ['backbone', 'init', ...datasets.flatMap((d) => [`${d} best epoch (per seed)`, `${d} epochs run`, `${d} s/run`])]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const row of rows) {
    const cells = datasets.flatMap((d) => {
      const rs = runsOf(runs, row, d)
      if (rs.length === 0) return ['—', '—', '—']
      return [
        rs.map((r) => `[${r.report.bestEpoch}](${r.file})`).join(', '),
        rs.map((r) => r.report.epochsRun).join(', '),
        mean(rs.map((r) => r.report.timings.totalSeconds)).toFixed(1),
      ]
    })
    lines.push(`| ${[...rowLabel(row), ...cells].join(' | ')} |`)
  }
  return lines
}

/** Every arm vs the baseline, per dataset and metric: n, mean difference, t, df, p, signs. */
export function significanceTable(runs: readonly RunRecord[], baseline: string, metrics: readonly string[]): string[] {
  const lines = ['| dataset | backbone | init | metric | seeds | mean diff | t | df | p | signs |', '|---|---|---|---|---|---|---|---|---|---|']
  for (const d of datasetsOf(runs)) {
    for (const row of rowsOf(runs, baseline)) {
      if (row.arm === baseline) continue
      for (const m of metrics) {
        const x = seedValues(runs, row, d, (r) => r.report.test[m])
        const a = aggregate(x, seedValues(runs, baselineOf(row, baseline), d, (r) => r.report.test[m]))
        if (!a.test) continue
        const t = a.test
        lines.push(
          `| ${d} | ${rowLabel(row).join(' | ')} | ${m} | ${t.n} | ${t.meanDiff >= 0 ? '+' : '−'}${Math.abs(t.meanDiff).toFixed(4)} | ${Number.isNaN(t.t) ? 'n/a' : t.t.toFixed(2)} | ${t.df} | ${pValue(t.p)}${significanceMark(t.p)} | ${t.signs} |`,
        )
      }
    }
  }
  return lines
}

/** Test `metric` by user-activity bucket (users per bucket in the header), mean over seeds. */
export function activityTable(runs: readonly RunRecord[], baseline: string, metric: string): string[] {
  const withBuckets = runs.filter((r) => r.report.byActivity?.length)
  if (withBuckets.length === 0) return []
  const datasets = datasetsOf(withBuckets)
  const buckets = withBuckets[0].report.byActivity.map((b) => b.bucket)
  const usersIn = (d: string, b: number) => values(
    withBuckets.filter((r) => r.cell.dataset === d),
    (r) => r.report.byActivity[b].testUsers,
  )
  const head = ['backbone', 'init', ...datasets.flatMap((d) => buckets.map((b, j) => `${d} ${b} (${usersIn(d, j)} users)`))]
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const row of rowsOf(withBuckets, baseline)) {
    const cells = datasets.flatMap((d) =>
      buckets.map((_, j) => {
        const x = seedValues(withBuckets, row, d, (r) => r.report.byActivity[j]?.test[metric])
        if (x.values.length === 0) return '—'
        const base = row.arm === baseline ? undefined : seedValues(withBuckets, baselineOf(row, baseline), d, (r) => r.report.byActivity[j]?.test[metric])
        const a = aggregate(x, base)
        return `${f4(a.mean)}${a.relative === undefined || !Number.isFinite(a.relative) ? '' : ` (${pct(a.relative)})`}`
      }),
    )
    lines.push(`| ${[...rowLabel(row), ...cells].join(' | ')} |`)
  }
  return lines
}

/** The whole `table.md`. */
export function experimentMarkdown(runs: readonly RunRecord[], opts: ReportOptions): string {
  const epochs = [...new Set(runs.map((r) => r.report.config.epochs))].join(', ')
  const status =
    runs.length < opts.plannedRuns
      ? `**Incomplete: ${runs.length} of ${opts.plannedRuns} runs finished** (re-run the same command to resume).`
      : `${runs.length} of ${opts.plannedRuns} runs finished.`
  const primary = opts.metrics[0]
  const out = [
    `# ${opts.title}`,
    '',
    status,
    '',
    ...protocolSection(runs, opts),
    '',
    ...(opts.preface?.length ? [...opts.preface, ''] : []),
    `## Test metrics (epoch cap ${epochs})`,
    '',
    `Each cell: mean ± sample standard deviation over the seeds (one seed: its value) of the run files' \`test["<metric>"]\` ` +
      `(the best validation epoch's test metrics; the runs table links each file). **Bold**: the best mean in the column ` +
      `within each backbone. (±x%): relative change of the mean vs \`${opts.baseline}\` of the same backbone. ` +
      `Then the sign of each paired difference vs \`${opts.baseline}\` (seeds ascending; + better), and ` +
      `\`*\` p < 0.05, \`**\` p < 0.01 by a two-sided paired t-test over the seeds (details below; with few seeds the signs say more than p).`,
    '',
    ...resultsTable(runs, opts.baseline, opts.metrics),
    '',
    `## Runs (epoch cap ${epochs})`,
    '',
    'Best epoch per seed (seeds ascending; each links to its run file), epochs run, and mean wall-clock seconds per run (load, init, training, evaluation).',
    '',
    ...runsTable(runs, opts.baseline),
    '',
    `## Paired t-tests vs \`${opts.baseline}\``,
    '',
    "Student's paired t-test, two-sided: d = arm − baseline per seed, t = mean(d) / (sd(d) / √n), df = n − 1. " +
      'p is n/a when every difference is 0 or there is one seed.',
    '',
    ...significanceTable(runs, opts.baseline, opts.metrics),
  ]
  const activity = activityTable(runs, opts.baseline, primary)
  if (activity.length > 0) {
    out.push(
      '',
      `## Test ${primary} by user activity (epoch cap ${epochs})`,
      '',
      `Users bucketed by their number of training interactions; mean over seeds of \`byActivity[b].test["${primary}"]\`, relative change vs \`${opts.baseline}\` in parentheses.`,
      '',
      ...activity,
    )
  }
  if (opts.charts?.length) {
    out.push('', '## Charts', '', ...opts.charts.map((c) => `- [${c.caption}](${c.file})\n\n  ![${c.caption}](${c.file})`))
  }
  return out.join('\n') + '\n'
}
