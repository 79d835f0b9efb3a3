/**
 * The experiments behind `llminit coldstart` and `llminit collapse`, as experiment configs built
 * from a few flags.
 */
import { basename } from 'node:path'
import { existsSync } from 'node:fs'
import { LlminitError } from '../errors.js'
import type { InitStrategy, Model, TrainConfig } from '../options.js'
import { checkExperimentConfig, type ExperimentConfig } from './config.js'

export interface PresetOptions {
  data: string
  /** Item vectors; needed by every init but `none`. */
  embeddings?: string
  model?: Model
  seeds?: number[]
  /** Fixed training options (e.g. `epochs`, `threads`). */
  train?: Partial<TrainConfig>
  metrics?: string[]
  name?: string
}

function datasetEntry(o: PresetOptions) {
  if (!existsSync(o.data)) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `--data: dataset not found: ${o.data}`)
  return { name: basename(o.data.replace(/[/\\]+$/, '')).replace(/\.(inter|csv|tsv)$/, ''), data: o.data, ...(o.embeddings ? { embeddings: o.embeddings } : {}) }
}

export const COLDSTART_NOTE =
  "cold start (the paper's sparse setting): after the split each user keeps ⌈n/2⌉ of its n training interactions, drawn with the run's seed; " +
  'validation and test are unchanged; the graph, degrees, the popular items of var and the user means come from the halved training part'

/** Strategies compared on the halved training set (`halveTrain`), with activity buckets. */
export function coldstartConfig(o: PresetOptions & { inits?: string[] }): ExperimentConfig {
  return checkExperimentConfig(
    {
      name: o.name ?? `coldstart — ${datasetEntry(o).name}, ${o.model ?? 'lightgcn'}, half of each user's training interactions`,
      datasets: [datasetEntry(o)],
      backbones: [o.model ?? 'lightgcn'],
      inits: o.inits ?? ['none', 'rand', 'uni', 'var', 'pca'],
      seeds: o.seeds ?? [2020],
      train: { ...o.train, halveTrain: true },
      ...(o.metrics ? { metrics: o.metrics } : {}),
    },
    undefined,
    process.cwd(),
  )
}

export const COLLAPSE_DIMS = [32, 64, 128, 256, 512]

export const COLLAPSE_NOTE =
  'collapse: random init (none) and the selected init at each d; at the LLM width D the selected arm is `full` (all D dimensions, no selection), paired with random init at d = D'

/**
 * Random init vs the selected init at each d of `dims`, and at the LLM width D (`full` vs random
 * at d = D): two configs (the d grid and the D pair) whose cells run as one experiment.
 */
export function collapseConfigs(o: PresetOptions & { init?: InitStrategy; dims?: number[]; width: number }): ExperimentConfig[] {
  const init = o.init ?? 'var'
  if (init === 'none' || init === 'full') throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `--init: collapse compares a selection with random init; expected rand, uni, var, pca or whiten, got ${init}`)
  const dims = (o.dims ?? COLLAPSE_DIMS).filter((d) => d < o.width)
  const base = {
    name: o.name ?? `collapse — ${datasetEntry(o).name}, ${o.model ?? 'lightgcn'}, random vs ${init} by d`,
    datasets: [datasetEntry(o)],
    backbones: [o.model ?? 'lightgcn'],
    seeds: o.seeds ?? [2020],
    // d is the grid's axis here.
    train: Object.fromEntries(Object.entries(o.train ?? {}).filter(([k]) => k !== 'dim')),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  }
  const arms = (selected: string) => [{ name: 'random', init: 'none' }, { name: selected, init: selected }]
  return [
    checkExperimentConfig({ ...base, inits: arms(init), grid: { dim: dims }, baseline: 'random' }, undefined, process.cwd()),
    checkExperimentConfig({ ...base, inits: arms('full'), grid: { dim: [o.width] }, baseline: 'random' }, undefined, process.cwd()),
  ]
}
