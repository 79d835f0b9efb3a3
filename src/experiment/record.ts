/**
 * One finished run of an experiment, kept as `runs/<cell id>.json` under the output folder (written
 * atomically, so a killed process leaves either the whole file or none). These files are the
 * experiment's memory: a re-run skips every cell whose file is there, and every number of the
 * reports is computed from them.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LlminitError } from '../errors.js'
import { writeFileAtomic } from '../io/atomic-write.js'
import type { TrainReport } from '../train.js'
import type { Cell } from './grid.js'

export interface RunRecord {
  cell: Cell
  report: TrainReport
  /** The run file, relative to the output folder (`runs/<id>.json`). */
  file: string
}

export const RUNS_DIR = 'runs'

/** JSON with object keys sorted, so two equal configs give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  )
}

export function runFile(cell: Cell): string {
  return join(RUNS_DIR, `${cell.id}.json`)
}

export async function writeRun(out: string, cell: Cell, report: TrainReport): Promise<RunRecord> {
  const file = runFile(cell)
  await writeFileAtomic(join(out, file), JSON.stringify({ cell, report }, null, 2) + '\n')
  return { cell, report, file }
}

/**
 * The finished run of `cell` in `out`, or undefined when there is none. A run file written for a
 * different config (the experiment file changed since) is an error naming the file: reusing it
 * would mix settings in one table.
 */
export async function readRun(out: string, cell: Cell): Promise<RunRecord | undefined> {
  const file = runFile(cell)
  let text: string
  try {
    text = await readFile(join(out, file), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new LlminitError('ERR_LLMINIT_IO', `cannot read ${join(out, file)}: ${(err as Error).message}`, { cause: err })
  }
  let parsed: { cell?: Cell; report?: TrainReport }
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new LlminitError('ERR_LLMINIT_DATA', `${join(out, file)}: not valid JSON (${(err as Error).message}); delete it to run the cell again`, { cause: err })
  }
  if (parsed.cell === undefined || parsed.report === undefined || canonicalJson(parsed.cell.config) !== canonicalJson(cell.config)) {
    throw new LlminitError(
      'ERR_LLMINIT_INVALID_OPTION',
      `${join(out, file)} holds a run with other settings than cell ${cell.id} of this experiment; use another --out folder or delete the file`,
    )
  }
  return { cell, report: parsed.report, file }
}

/** Run files in `out/runs` (names only), to tell the user about ones the grid no longer has. */
export async function listRunFiles(out: string): Promise<string[]> {
  try {
    return (await readdir(join(out, RUNS_DIR))).filter((f) => f.endsWith('.json'))
  } catch {
    return []
  }
}
