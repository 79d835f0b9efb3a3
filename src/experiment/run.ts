/**
 * Runs cells one after another, skipping those already finished in the output folder, writing each
 * result atomically as soon as it exists and refreshing the reports after every cell; an abort
 * stops the running cell at its next batch and leaves every finished cell on disk.
 */
import { abortError } from '../errors.js'
import { train, type TrainProgress } from '../train.js'
import type { Cell } from './grid.js'
import { readRun, writeRun, type RunRecord } from './record.js'

export type ExperimentProgress =
  /** Before the first cell: how many cells the grid has and how many are already done. */
  | { kind: 'plan'; total: number; finished: number }
  | { kind: 'cell-start'; index: number; total: number; cell: Cell; etaSeconds?: number }
  | { kind: 'train'; cell: Cell; event: TrainProgress }
  /** After a cell; `etaSeconds` is the estimate for the cells left (from the cells run so far). */
  | { kind: 'cell-done'; index: number; total: number; cell: Cell; seconds: number; etaSeconds: number; remaining: number }

export interface RunCellsOptions {
  out: string
  signal?: AbortSignal
  onProgress?: (e: ExperimentProgress) => void
  /** Called with every finished run (in grid order) after each new cell and once at the start. */
  afterCell?: (runs: RunRecord[]) => Promise<void>
}

/** A finished cell's time and, when it used LLM vectors, their width (a `full` arm trains at it). */
export interface TimedCell {
  cell: Cell
  seconds: number
  vectorDim?: number
}

/**
 * Seconds left for `pending` cells. A cell costs about its dataset's and backbone's time per run,
 * in proportion to its width d (every kernel is linear in d), so each pending cell takes the
 * first of these that exists among the cells run in this session: the mean of those with the same
 * dataset, backbone and d; of the same dataset and backbone, scaled by d; of the same dataset,
 * scaled by d; of all, scaled by d. A `full` arm's d is its vectors' width, known once any run
 * with the same dataset and source has loaded them (until then, its configured `dim`).
 */
export function estimateSeconds(pending: readonly Cell[], done: readonly TimedCell[]): number {
  if (done.length === 0) return NaN
  const source = (c: Cell) => `${c.dataset}|${c.source ?? ''}`
  const widths = new Map<string, number>()
  for (const d of done) if (d.vectorDim !== undefined) widths.set(source(d.cell), d.vectorDim)
  const dim = (c: Cell) => (c.config?.init === 'full' ? widths.get(source(c)) : undefined) ?? c.config?.dim ?? 128
  const scaled = (c: Cell, runs: readonly TimedCell[]) => runs.reduce((a, d) => a + (d.seconds * dim(c)) / dim(d.cell), 0) / runs.length
  return pending.reduce((sum, c) => {
    const sameData = done.filter((d) => d.cell.dataset === c.dataset)
    const sameBackbone = sameData.filter((d) => d.cell.backbone === c.backbone)
    const sameDim = sameBackbone.filter((d) => dim(d.cell) === dim(c))
    const pool = [sameDim, sameBackbone, sameData, done].find((runs) => runs.length > 0) ?? done
    return sum + scaled(c, pool)
  }, 0)
}

export async function runCells(cells: readonly Cell[], options: RunCellsOptions): Promise<RunRecord[]> {
  const { out, signal } = options
  const emit = (e: ExperimentProgress) => {
    try {
      options.onProgress?.(e)
    } catch {
      // A failing progress printer never stops an experiment.
    }
  }
  const results = new Map<string, RunRecord>()
  for (const cell of cells) {
    const done = await readRun(out, cell)
    if (done) results.set(cell.id, done)
  }
  const inOrder = () => cells.flatMap((c) => results.get(c.id) ?? [])
  emit({ kind: 'plan', total: cells.length, finished: results.size })
  await options.afterCell?.(inOrder())

  const timed: TimedCell[] = []
  const pending = cells.filter((c) => !results.has(c.id))
  for (const [j, cell] of pending.entries()) {
    if (signal?.aborted) throw abortError()
    const index = cells.indexOf(cell)
    emit({ kind: 'cell-start', index, total: cells.length, cell, etaSeconds: estimateSeconds(pending.slice(j), timed) })
    const t0 = performance.now()
    const report = await train(cell.config, { signal, onProgress: (event) => emit({ kind: 'train', cell, event }) })
    const record = await writeRun(out, cell, report)
    results.set(cell.id, record)
    const seconds = (performance.now() - t0) / 1000
    timed.push({ cell, seconds, vectorDim: report.init?.diagnostics.vectorDim })
    const left = pending.slice(j + 1)
    emit({ kind: 'cell-done', index, total: cells.length, cell, seconds, etaSeconds: estimateSeconds(left, timed), remaining: left.length })
    await options.afterCell?.(inOrder())
  }
  return inOrder()
}
