/**
 * Groups an experiment's runs into table rows (backbone × init arm [× grid values]) and columns
 * (dataset × metric): the seeds of a row and a dataset are one cell of the tables, and each arm is
 * compared with the baseline arm of the same backbone and grid values, paired by seed.
 */
import type { RunRecord } from '../experiment/record.js'
import { paramsLabel } from '../experiment/grid.js'
import { mean, pairedTTest, sampleStd, type PairedTest } from './stats.js'

export interface RowKey {
  backbone: string
  /** The arm label, with `@source` when the experiment has several embedding sources. */
  arm: string
  /** The grid's varied options, e.g. `lr=0.001`; empty without a grid. */
  params: string
}

export interface SeedValues {
  seeds: number[]
  values: number[]
  runs: RunRecord[]
}

export interface Aggregate {
  n: number
  mean: number
  std: number
  /** Relative change of the mean vs the baseline's ((x − b) / b); undefined for the baseline row. */
  relative?: number
  /** Paired over the seeds both have; undefined for the baseline row or without a baseline run. */
  test?: PairedTest
}

export function armName(r: RunRecord): string {
  return r.cell.source === null ? r.cell.arm : `${r.cell.arm}@${r.cell.source}`
}

export function rowKeyOf(r: RunRecord): RowKey {
  return { backbone: r.cell.backbone, arm: armName(r), params: paramsLabel(r.cell.params) }
}

export function keyString(k: RowKey): string {
  return `${k.backbone}\u0000${k.arm}\u0000${k.params}`
}

/** Rows in first-seen order of the runs (the grid's order), the baseline arm first in each block. */
export function rowsOf(runs: readonly RunRecord[], baseline: string): RowKey[] {
  const seen = new Map<string, RowKey>()
  for (const r of runs) seen.set(keyString(rowKeyOf(r)), rowKeyOf(r))
  const rows = [...seen.values()]
  const block = (k: RowKey) => `${k.backbone}\u0000${k.params}`
  const blocks = [...new Set(rows.map(block))]
  return blocks.flatMap((b) => {
    const inBlock = rows.filter((k) => block(k) === b)
    return [...inBlock.filter((k) => k.arm === baseline), ...inBlock.filter((k) => k.arm !== baseline)]
  })
}

export function datasetsOf(runs: readonly RunRecord[]): string[] {
  return [...new Set(runs.map((r) => r.cell.dataset))]
}

/** The runs of one row and dataset, ordered by seed. */
export function runsOf(runs: readonly RunRecord[], row: RowKey, dataset: string): RunRecord[] {
  const k = keyString(row)
  return runs.filter((r) => r.cell.dataset === dataset && keyString(rowKeyOf(r)) === k).sort((a, b) => a.cell.seed - b.cell.seed)
}

/** `pick(report)` over the seeds of one row and dataset. */
export function seedValues(runs: readonly RunRecord[], row: RowKey, dataset: string, pick: (r: RunRecord) => number | undefined): SeedValues {
  const chosen = runsOf(runs, row, dataset).filter((r) => pick(r) !== undefined)
  return { seeds: chosen.map((r) => r.cell.seed), values: chosen.map((r) => pick(r) as number), runs: chosen }
}

/** Mean ± std of a row, its relative change vs `base` and the paired test on the common seeds. */
export function aggregate(x: SeedValues, base: SeedValues | undefined): Aggregate {
  const out: Aggregate = { n: x.values.length, mean: mean(x.values), std: sampleStd(x.values) }
  if (base === undefined || base.values.length === 0) return out
  out.relative = (out.mean - mean(base.values)) / mean(base.values)
  const common = x.seeds.filter((s) => base.seeds.includes(s))
  if (common.length > 0) {
    const at = (v: SeedValues, s: number) => v.values[v.seeds.indexOf(s)]
    out.test = pairedTTest(
      common.map((s) => at(x, s)),
      common.map((s) => at(base, s)),
    )
  }
  return out
}
