/** Flags shared by `coldstart` and `collapse`, and the run with progress that all experiment commands share. */
import { Command, Option } from 'commander'
import { LlminitError } from '../errors.js'
import type { Cell } from '../experiment/grid.js'
import type { ExperimentConfig } from '../experiment/config.js'
import { runPlanned } from '../experiment/index.js'
import { MODELS, type Model, type TrainConfig } from '../options.js'
import { experimentProgressPrinter } from './experiment-progress.js'

/** A positive integer flag value, or a usage error naming the flag. */
export function positiveInt(flag: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 1) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${flag}: expected a positive integer, got "${raw}"`)
    return n
  }
}

/** A comma-separated list of non-negative integers. */
export function intList(flag: string): (raw: string) => number[] {
  return (raw) =>
    raw.split(',').map((s) => {
      const n = Number(s)
      if (s.trim() === '' || !Number.isInteger(n) || n < 0) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${flag}: expected comma-separated integers, got "${raw}"`)
      return n
    })
}

export interface PresetFlags {
  data: string
  embeddings?: string
  out: string
  model: Model
  seeds: number[]
  maxEpochs?: number
  threads?: number
  charts: boolean
  quiet?: boolean
}

/** `--data`, `--embeddings`, `--out`, `--model`, `--seeds`, `--max-epochs`, `--threads`, `--no-charts`, `--quiet`. */
export function addPresetFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--data <path>', 'dataset folder or file')
    .option('--embeddings <file>', 'LLM item vectors keyed by item id (needed by every init but none)')
    .requiredOption('--out <dir>', 'output folder; finished runs in it are skipped on a re-run')
    .addOption(new Option('--model <model>', 'backbone').choices(MODELS).default('lightgcn'))
    .option('--seeds <list>', 'seeds, comma-separated (runs are paired by seed)', intList('--seeds'), [2020])
    .option('--max-epochs <n>', 'cap every run at n epochs (stated in every table; default: 300 with early stopping)', positiveInt('--max-epochs'))
    .option('--threads <n>', 'worker threads per run', positiveInt('--threads'))
    .option('--no-charts', 'skip the SVG charts')
    .option('--quiet', 'no progress output')
}

export function presetTrain(flags: PresetFlags): Partial<TrainConfig> {
  return { ...(flags.maxEpochs === undefined ? {} : { epochs: flags.maxEpochs }), ...(flags.threads === undefined ? {} : { threads: flags.threads }) }
}

/** Runs planned cells with the overall progress bar, then names the outputs on stdout. */
export async function runWithProgress(cells: Cell[], cfg: ExperimentConfig, o: { out: string; charts: boolean; quiet?: boolean; notes?: string[]; collapse?: boolean; signal: AbortSignal }): Promise<void> {
  const progress = experimentProgressPrinter(Boolean(o.quiet))
  try {
    const runs = await runPlanned(cells, cfg, { out: o.out, signal: o.signal, onProgress: progress.onProgress, charts: o.charts, notes: o.notes, collapse: o.collapse })
    progress.stop()
    process.stdout.write(`${runs.length} runs; reports in ${o.out}/table.md, results.csv, results.json${o.charts ? ', charts/' : ''}\n`)
  } finally {
    progress.stop()
  }
}
