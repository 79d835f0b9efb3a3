/** Expands an experiment's grid into cells: one training run each, with a stable id. */
import { LlminitError } from '../errors.js'
import { resolveTrainConfig, type TrainConfig } from '../options.js'
import type { ExperimentConfig } from './config.js'

/** One run of the grid. Cells that differ only in `seed` form a row × column of the tables. */
export interface Cell {
  /** Stable, file-name safe: `<dataset>__<backbone>__<arm>[@source][__k=v…]__s<seed>`. */
  id: string
  dataset: string
  backbone: string
  /** The init arm's label (`none`, `pca`, …). */
  arm: string
  /** Embedding source name; `null` for `none`, which uses no vectors. */
  source: string | null
  seed: number
  /** The grid's varied options for this cell (empty without a `grid`). */
  params: Record<string, unknown>
  /** The complete `train()` config. */
  config: TrainConfig
}

/** Every combination of the values of `grid`, in key order, the last key varying fastest. */
export function cartesian(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}]
  for (const [key, values] of Object.entries(grid)) out = out.flatMap((p) => values.map((v) => ({ ...p, [key]: v })))
  return out
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._=+-]+/g, '-')
}

/** `train` hyper-parameters (and grid values) as a compact label, e.g. `lr=0.001 dim=64`. */
export function paramsLabel(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ')
}

/**
 * The cells of `config`, in run order: datasets × seeds × backbones × grid values × arms ×
 * sources. Seeds vary before arms so that an interrupted experiment has complete paired
 * comparisons for its first seeds. `none` runs once per seed (it uses no vectors), other arms
 * once per embedding source. Each cell's config is validated here, before anything runs.
 */
export function expandGrid(config: ExperimentConfig): Cell[] {
  const cells: Cell[] = []
  const combos = cartesian(config.grid)
  for (const ds of config.datasets) {
    const sources = Object.keys(ds.embeddings)
    for (const seed of config.seeds) {
      for (const backbone of config.backbones) {
        for (const params of combos) {
          for (const arm of config.inits) {
            for (const source of arm.init === 'none' ? [null] : sources) {
              const cfg: TrainConfig = {
                ...config.train,
                ...params,
                data: ds.data,
                model: backbone as TrainConfig['model'],
                init: arm.init,
                ...(arm.initScale === undefined ? {} : { initScale: arm.initScale }),
                ...(arm.initMix === undefined ? {} : { initMix: arm.initMix }),
                ...(source === null ? {} : ds.embeddings[source]),
                seed,
              }
              const armName = source === null || sources.length === 1 ? arm.label : `${arm.label}@${source}`
              const id = slug([ds.name, backbone, armName, ...Object.entries(params).map(([k, v]) => `${k}=${String(v)}`), `s${seed}`].join('__'))
              try {
                resolveTrainConfig(cfg)
              } catch (err) {
                throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${config.file ?? 'experiment'}: cell ${id}: ${(err as Error).message}`, { cause: err })
              }
              cells.push({ id, dataset: ds.name, backbone, arm: arm.label, source: sources.length > 1 ? source : null, seed, params, config: cfg })
            }
          }
        }
      }
    }
  }
  const ids = new Set<string>()
  for (const c of cells) {
    if (ids.has(c.id)) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${config.file ?? 'experiment'}: two cells share the id ${c.id}`)
    ids.add(c.id)
  }
  return cells
}
