/**
 * Experiment configuration files (YAML or JSON): a grid over datasets × backbones × init strategies
 * × embedding sources × any training option × seeds. Relative paths in the file are resolved
 * against the file's own folder, so an experiment runs the same from any working directory.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { LlminitError } from '../errors.js'
import { MISSING_TEXT_POLICIES } from '../embed/item-text.js'
import { INIT_SCALES, INIT_STRATEGIES, MODELS, TRAIN_OPTIONS, type InitScale, type InitStrategy, type Model, type TrainConfig } from '../options.js'

/**
 * One source of item vectors, as the training options that select it: a file (`embeddings`), or
 * the item text embedded by a local model folder, a Hub model or an OpenAI-compatible endpoint
 * (with its template, missing-text policy and cache folder) — the encoder ablation's axis.
 */
export type EmbeddingSource = Pick<TrainConfig, 'embeddings' | 'embedModelPath' | 'embedModel' | 'embedEndpoint' | 'embedTemplate' | 'embedMissingText' | 'embedCacheDir'>

/** A source's keys in a config file → the training option each sets; `path` ones resolve against the file. */
const SOURCE_KEYS: Record<string, { option: keyof EmbeddingSource; path?: 'file' | 'folder' }> = {
  file: { option: 'embeddings', path: 'file' },
  modelPath: { option: 'embedModelPath', path: 'file' },
  model: { option: 'embedModel' },
  endpoint: { option: 'embedEndpoint' },
  template: { option: 'embedTemplate' },
  missingText: { option: 'embedMissingText' },
  cacheDir: { option: 'embedCacheDir', path: 'folder' },
}

export interface ExperimentDataset {
  /** Column label in the tables (default: the folder or file name). */
  name: string
  /** Dataset path (absolute once loaded). */
  data: string
  /** Item-vector sources by name; a single file is the source `default`. */
  embeddings: Record<string, EmbeddingSource>
}

/** One initialization arm: a strategy under a label, with an optional scale and random-column share. */
export interface InitArm {
  label: string
  init: InitStrategy
  initScale?: InitScale
  initMix?: number
}

export interface ExperimentConfig {
  name: string
  datasets: ExperimentDataset[]
  backbones: Model[]
  inits: InitArm[]
  seeds: number[]
  /** Training options varied over the grid: key → values (cartesian product). */
  grid: Record<string, unknown[]>
  /** Training options fixed for every cell (e.g. `epochs`, `threads`). */
  train: Partial<TrainConfig>
  /** The arm every other arm is compared with (relative change, paired test); default `none`. */
  baseline: string
  /** Test metrics in the tables, e.g. `ndcg@10`; default recall/ndcg @10 and @20. */
  metrics: string[]
  /** The file it was read from, if any (for messages and the report). */
  file?: string
}

/** Keys set by the grid's own axes, so neither `train` nor `grid` may set them. */
const AXIS_KEYS = new Set(['data', 'model', 'init', 'initScale', 'initMix', 'seed', ...Object.values(SOURCE_KEYS).map((k) => k.option)])
const TOP_KEYS = ['name', 'datasets', 'backbones', 'inits', 'seeds', 'grid', 'train', 'baseline', 'metrics'] as const
const DEFAULT_METRICS = ['recall@10', 'ndcg@10', 'recall@20', 'ndcg@20']

function fail(where: string, message: string): LlminitError {
  return new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${where}: ${message}`)
}

function list(where: string, value: unknown, fallback?: unknown[]): unknown[] {
  if (value === undefined && fallback !== undefined) return fallback
  const arr = Array.isArray(value) ? value : value === undefined ? undefined : [value]
  if (arr === undefined || arr.length === 0) throw fail(where, 'expected a non-empty list')
  return arr
}

function baseName(path: string): string {
  return path.replace(/[/\\]+$/, '').split(/[/\\]/).pop()!.replace(/\.(inter|csv|tsv)$/, '')
}

/**
 * Validates a parsed config object. `file` names it in errors (`exp.yaml: datasets[1].data: …`);
 * `baseDir` anchors relative paths (default: the file's folder, else the working directory).
 * Dataset and embedding files must exist.
 */
export function checkExperimentConfig(raw: unknown, file?: string, baseDir?: string): ExperimentConfig {
  const at = (key: string) => (file ? `${file}: ${key}` : key)
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw fail(file ?? 'experiment config', 'expected a mapping of keys')
  const obj = raw as Record<string, unknown>
  for (const key of Object.keys(obj)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) throw fail(at(key), `unknown key (known: ${TOP_KEYS.join(', ')})`)
  }
  const base = baseDir ?? (file ? dirname(resolve(file)) : process.cwd())
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p))

  const datasets = list(at('datasets'), obj.datasets).map((d, i): ExperimentDataset => {
    const where = at(`datasets[${i}]`)
    const entry = typeof d === 'string' ? { data: d } : d
    if (entry === null || typeof entry !== 'object') throw fail(where, 'expected a path or a mapping with data (and name, embeddings)')
    const e = entry as Record<string, unknown>
    for (const key of Object.keys(e)) if (!['name', 'data', 'embeddings'].includes(key)) throw fail(`${where}.${key}`, 'unknown key (known: name, data, embeddings)')
    if (typeof e.data !== 'string' || e.data === '') throw fail(`${where}.data`, 'expected a dataset path')
    const data = path(e.data)
    if (!existsSync(data)) throw fail(`${where}.data`, `dataset not found: ${data}`)
    const sources = e.embeddings === undefined ? {} : typeof e.embeddings === 'string' ? { default: e.embeddings } : e.embeddings
    if (sources === null || typeof sources !== 'object' || Array.isArray(sources)) throw fail(`${where}.embeddings`, 'expected a file or a mapping source name → file or {file | modelPath | model | endpoint, …}')
    const embeddings: Record<string, EmbeddingSource> = {}
    for (const [name, f] of Object.entries(sources)) embeddings[name] = embeddingSource(`${where}.embeddings.${name}`, f, path)
    const name = e.name === undefined ? baseName(e.data) : e.name
    if (typeof name !== 'string' || name === '') throw fail(`${where}.name`, 'expected a non-empty name')
    return { name, data, embeddings }
  })
  const names = datasets.map((d) => d.name)
  const twice = names.find((n, i) => names.indexOf(n) !== i)
  if (twice !== undefined) throw fail(at('datasets'), `two datasets are named "${twice}"; give them distinct names`)

  const backbones = list(at('backbones'), obj.backbones, ['lightgcn']).map((b, i) => {
    if (!(MODELS as readonly unknown[]).includes(b)) throw fail(at(`backbones[${i}]`), `unknown backbone ${JSON.stringify(b)} (known: ${MODELS.join(', ')})`)
    return b as Model
  })

  const inits = list(at('inits'), obj.inits, ['none']).map((a, i): InitArm => {
    const where = at(`inits[${i}]`)
    const entry = (typeof a === 'string' ? { init: a } : a) as Record<string, unknown> | null
    if (entry === null || typeof entry !== 'object') throw fail(where, 'expected a strategy name or a mapping {name, init, initScale, initMix}')
    for (const key of Object.keys(entry)) if (!['name', 'init', 'initScale', 'initMix'].includes(key)) throw fail(`${where}.${key}`, 'unknown key (known: name, init, initScale, initMix)')
    if (!(INIT_STRATEGIES as readonly unknown[]).includes(entry.init)) {
      throw fail(where, `unknown strategy ${JSON.stringify(entry.init)} (known: ${INIT_STRATEGIES.join(', ')})`)
    }
    if (entry.initScale !== undefined && !(INIT_SCALES as readonly unknown[]).includes(entry.initScale)) {
      throw fail(`${where}.initScale`, `unknown scale ${JSON.stringify(entry.initScale)} (known: ${INIT_SCALES.join(', ')})`)
    }
    if (entry.initMix !== undefined && (typeof entry.initMix !== 'number' || !(entry.initMix >= 0 && entry.initMix < 1))) {
      throw fail(`${where}.initMix`, `expected a share in [0, 1), got ${JSON.stringify(entry.initMix)}`)
    }
    const init = entry.init as InitStrategy
    const initScale = entry.initScale as InitScale | undefined
    const initMix = entry.initMix as number | undefined
    const label = entry.name ?? [init, initScale && initScale !== 'stored' ? initScale : '', initMix ? `mix${initMix}` : ''].filter(Boolean).join('+')
    if (typeof label !== 'string' || label === '') throw fail(`${where}.name`, 'expected a non-empty name')
    return { label, init, ...(initScale === undefined ? {} : { initScale }), ...(initMix === undefined ? {} : { initMix }) }
  })
  const labels = inits.map((a) => a.label)
  const dup = labels.find((n, i) => labels.indexOf(n) !== i)
  if (dup !== undefined) throw fail(at('inits'), `two arms are named "${dup}"; name them (name: …)`)
  for (const [i, d] of datasets.entries()) {
    if (inits.some((a) => a.init !== 'none') && Object.keys(d.embeddings).length === 0) {
      throw fail(at(`datasets[${i}].embeddings`), `dataset "${d.name}" needs item vectors for the inits other than none`)
    }
  }

  const seeds = list(at('seeds'), obj.seeds, [2020]).map((s, i) => {
    if (!Number.isSafeInteger(s) || (s as number) < 0) throw fail(at(`seeds[${i}]`), `expected a non-negative integer, got ${JSON.stringify(s)}`)
    return s as number
  })
  if (new Set(seeds).size !== seeds.length) throw fail(at('seeds'), 'a seed is listed twice')

  const known = new Set(TRAIN_OPTIONS.map((o) => o.key))
  const checkKey = (where: string, key: string) => {
    if (AXIS_KEYS.has(key)) throw fail(where, `"${key}" is set by the grid's axes (datasets, backbones, inits, seeds), not here`)
    if (!known.has(key)) throw fail(where, `unknown training option "${key}" (known: ${[...known].filter((k) => !AXIS_KEYS.has(k)).join(', ')})`)
  }
  const train = (obj.train ?? {}) as Record<string, unknown>
  if (typeof train !== 'object' || Array.isArray(train)) throw fail(at('train'), 'expected a mapping of training options')
  for (const key of Object.keys(train)) checkKey(at(`train.${key}`), key)
  const gridRaw = (obj.grid ?? {}) as Record<string, unknown>
  if (typeof gridRaw !== 'object' || Array.isArray(gridRaw)) throw fail(at('grid'), 'expected a mapping option → list of values')
  const grid: Record<string, unknown[]> = {}
  for (const [key, values] of Object.entries(gridRaw)) {
    checkKey(at(`grid.${key}`), key)
    if (train[key] !== undefined) throw fail(at(`grid.${key}`), 'is also fixed under train; keep one')
    grid[key] = list(at(`grid.${key}`), values)
  }

  const baseline = obj.baseline === undefined ? (labels.includes('none') ? 'none' : labels[0]) : obj.baseline
  if (typeof baseline !== 'string' || !labels.includes(baseline)) throw fail(at('baseline'), `expected one of the arms (${labels.join(', ')}), got ${JSON.stringify(baseline)}`)
  const metrics = list(at('metrics'), obj.metrics, DEFAULT_METRICS).map((m, i) => {
    if (typeof m !== 'string' || !/^(recall|ndcg|mrr|hit|precision|map)@\d+$/.test(m)) {
      throw fail(at(`metrics[${i}]`), `expected <recall|ndcg|mrr|hit|precision|map>@<k>, got ${JSON.stringify(m)}`)
    }
    return m
  })
  const name = obj.name ?? (file ? baseName(file).replace(/\.(ya?ml|json)$/, '') : 'experiment')
  if (typeof name !== 'string') throw fail(at('name'), 'expected a string')
  return { name, datasets, backbones, inits, seeds, grid, train: train as Partial<TrainConfig>, baseline, metrics, ...(file ? { file } : {}) }
}

/** A source entry: a file path, or a mapping of {@link SOURCE_KEYS} naming exactly one source. */
function embeddingSource(where: string, value: unknown, path: (p: string) => string): EmbeddingSource {
  const entry = typeof value === 'string' ? { file: value } : value
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw fail(where, 'expected a file path or a mapping {file | modelPath | model | endpoint, …}')
  const out: Record<string, string> = {}
  for (const [key, v] of Object.entries(entry)) {
    const spec = SOURCE_KEYS[key]
    if (spec === undefined) throw fail(`${where}.${key}`, `unknown key (known: ${Object.keys(SOURCE_KEYS).join(', ')})`)
    if (typeof v !== 'string' || v === '') throw fail(`${where}.${key}`, 'expected a non-empty string')
    out[spec.option] = spec.path ? path(v) : v
    if (spec.path === 'file' && !existsSync(out[spec.option])) throw fail(`${where}.${key}`, `not found: ${out[spec.option]}`)
  }
  const kinds = ['embeddings', 'embedModelPath', out.embedEndpoint === undefined ? 'embedModel' : 'embedEndpoint'].filter((k) => out[k] !== undefined)
  if (kinds.length !== 1) throw fail(where, 'name exactly one source: file, modelPath, model (a Hub id), or endpoint with model')
  if (out.embedEndpoint !== undefined && out.embedModel === undefined) throw fail(`${where}.endpoint`, "needs model (the endpoint's model name)")
  if (out.embedMissingText !== undefined && !(MISSING_TEXT_POLICIES as readonly string[]).includes(out.embedMissingText)) {
    throw fail(`${where}.missingText`, `expected one of ${MISSING_TEXT_POLICIES.join(', ')}, got ${JSON.stringify(out.embedMissingText)}`)
  }
  if (out.embeddings !== undefined && Object.keys(out).length > 1) throw fail(where, 'a file source takes no text-embedding keys (template, missingText, cacheDir)')
  return out as EmbeddingSource
}

/** Reads and validates an experiment file (`.yaml`, `.yml` or `.json`). */
export async function readExperimentConfig(file: string): Promise<ExperimentConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new LlminitError('ERR_LLMINIT_IO', `cannot read experiment config ${file}: ${(err as Error).message}`, { cause: err })
  }
  let raw: unknown
  try {
    raw = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message}`, { cause: err })
  }
  return checkExperimentConfig(raw, file)
}
