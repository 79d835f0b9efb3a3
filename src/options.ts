/**
 * The one table of training options. It drives the CLI flags (`src/cli/commands/train.ts`), the
 * validation of the TypeScript API's `TrainConfig`, and the README's options table (checked by a
 * test), so the three cannot drift apart. Defaults are the paper's setting (LLMInit on RecBole 1.2).
 */
import { MISSING_TEXT_POLICIES, type MissingTextPolicy } from './embed/item-text.js'
import { LlminitError } from './errors.js'

type Kind = 'integer' | 'number' | 'string' | 'boolean' | 'list'

export interface OptionSpec {
  /** Key in `TrainConfig`. */
  key: string
  /** CLI flag, e.g. `--batch-size <n>`. */
  flag: string
  kind: Kind
  description: string
  default?: unknown
  choices?: readonly string[]
  min?: number
  max?: number
}

export const MODELS = ['mf', 'lightgcn', 'sgl', 'sgcl', 'simgcl', 'xsimgcl'] as const
/** SGL's augmentations: edge dropout, node dropout, random walk (an edge-dropout graph per layer). */
export const VIEWS = ['edge', 'node', 'walk'] as const
export const PROTOCOLS = ['standard', 'reference'] as const
export const SPLITS = ['loo-random', 'loo-time', 'ratio'] as const
export const FORMATS = ['atomic', 'csv', 'tsv'] as const
/** LLMInit's selection strategies (DESIGN.md §1) and the PCA projections; `none` is the random-init baseline. */
export const INIT_STRATEGIES = ['none', 'rand', 'uni', 'var', 'full', 'pca', 'whiten'] as const
/**
 * The recommended LLM initialization, the `init` default whenever item vectors are given: chosen by
 * validation NDCG@10 among every strategy × scale on Amazon Office (LightGCN, 3 seeds) and
 * confirmed on Amazon Beauty and with MF (README, "Which initialization").
 */
export const RECOMMENDED_INIT = 'pca'
/** Options that provide LLM item vectors (a file, or a model/endpoint to embed item text with). */
export const EMBEDDING_SOURCE_KEYS = ['embeddings', 'embedModelPath', 'embedModel', 'embedEndpoint'] as const
/** Whether LLM tables keep their stored values or take the random init's mean row norm. */
export const INIT_SCALES = ['stored', 'random-norm'] as const

export const TRAIN_OPTIONS: readonly OptionSpec[] = [
  { key: 'data', flag: '--data <path>', kind: 'string', description: 'RecBole dataset folder, .inter file, or .csv/.tsv file' },
  { key: 'format', flag: '--format <format>', kind: 'string', choices: FORMATS, description: 'input format (default: from the path)' },
  { key: 'userColumn', flag: '--user-column <name>', kind: 'string', description: 'user id column (default user_id)' },
  { key: 'itemColumn', flag: '--item-column <name>', kind: 'string', description: 'item id column (default item_id)' },
  { key: 'ratingColumn', flag: '--rating-column <name>', kind: 'string', description: 'rating column (default rating)' },
  { key: 'timestampColumn', flag: '--timestamp-column <name>', kind: 'string', description: 'timestamp column (default timestamp)' },
  { key: 'model', flag: '--model <model>', kind: 'string', choices: MODELS, default: 'lightgcn', description: 'backbone' },
  { key: 'dim', flag: '--dim <d>', kind: 'integer', min: 1, max: 65536, default: 128, description: 'embedding size' },
  {
    key: 'init',
    flag: '--init <strategy>',
    kind: 'string',
    choices: INIT_STRATEGIES,
    description: 'initial tables (default: pca when item vectors are given, none otherwise): none (random, as RecBole) or d of the D dimensions of the LLM item vectors — rand (uniform draws), uni (every ⌊D/d⌋-th), var (highest variance over the popular items), full (all D; sets dim) — or the top-d principal directions of the vectors: pca (centred projection), whiten (the same at unit variance per component)',
  },
  { key: 'embeddings', flag: '--embeddings <file>', kind: 'string', description: 'LLM item vectors keyed by item id: .parquet or .arrow/.feather (columns item_id, embedding), .jsonl, .npy (ids in <name>.ids.txt or .ids.json), or a float_seq column of a RecBole .item file; required by --init other than none' },
  { key: 'embedModelPath', flag: '--embed-model-path <dir>', kind: 'string', description: "instead of --embeddings: embed each item's text (a template over the .item file) with this local ONNX model folder, through the embedding cache (see llminit embed)" },
  { key: 'embedModel', flag: '--embed-model <name>', kind: 'string', description: "with --embed-endpoint, the endpoint's model name; alone, a Hugging Face Hub model id to embed the item text with" },
  { key: 'embedEndpoint', flag: '--embed-endpoint <url>', kind: 'string', description: 'embed the item text through this OpenAI-compatible endpoint (base URL or …/embeddings; needs --embed-model; API key from $OPENAI_API_KEY)' },
  { key: 'embedTemplate', flag: '--embed-template <text>', kind: 'string', description: 'item text template over .item columns, e.g. "{title}. {categories}. {brand}" (default: the text-like columns joined with ". ")' },
  { key: 'embedMissingText', flag: '--embed-missing-text <policy>', kind: 'string', choices: MISSING_TEXT_POLICIES, description: 'items without text: error (default; names the item) or zero (zero vector, with a warning)' },
  { key: 'embedCacheDir', flag: '--embed-cache-dir <dir>', kind: 'string', description: 'embedding cache folder (default: $LLMINIT_CACHE_DIR, $XDG_CACHE_HOME/llminit or ~/.cache/llminit)' },
  {
    key: 'initScale',
    flag: '--init-scale <scale>',
    kind: 'string',
    choices: INIT_SCALES,
    default: 'stored',
    description: 'scale of LLM init tables: stored (as computed) or random-norm (item table, then user table, multiplied by one factor each so the mean row norm equals the expected row norm of the random init the model would use: xavier_uniform for lightgcn and the contrastive models, xavier_normal for mf)',
  },
  { key: 'initMix', flag: '--init-mix <share>', kind: 'number', min: 0, max: 1, default: 0, description: "share of the d columns taken from the backbone's random init instead of the LLM vectors, in [0, 1): the LLM part is built at the remaining width (mixing; 0 = pure LLM init)" },
  { key: 'popularRatio', flag: '--popular-ratio <r>', kind: 'number', min: 0, max: 1, default: 0.2, description: 'share of items, by training degree, over which --init var ranks the dimensions' },
  { key: 'layers', flag: '--layers <L>', kind: 'integer', min: 0, max: 16, default: 2, description: 'propagation layers of the graph models' },
  { key: 'lr', flag: '--lr <rate>', kind: 'number', min: 0, default: 1e-3, description: 'Adam learning rate' },
  { key: 'batchSize', flag: '--batch-size <n>', kind: 'integer', min: 1, default: 256, description: 'training batch size' },
  { key: 'epochs', flag: '--epochs <n>', kind: 'integer', min: 1, default: 300, description: 'maximum epochs' },
  { key: 'patience', flag: '--patience <n>', kind: 'integer', min: 0, default: 10, description: 'early stopping: evaluations without improvement before stopping' },
  { key: 'regWeight', flag: '--reg-weight <w>', kind: 'number', min: 0, description: 'embedding-norm weight λ (default per model: 1e-5; simgcl, xsimgcl 1e-4 as SELFRec. LightGCN, SGL: initial rows; SimGCL, XSimGCL: propagated rows; SGCL has none)' },
  { key: 'seed', flag: '--seed <n>', kind: 'integer', min: 0, max: 4294967295, default: 2020, description: 'seed for the split, init and sampling' },
  { key: 'split', flag: '--split <mode>', kind: 'string', choices: SPLITS, default: 'loo-random', description: 'leave-one-out (random or time order) or 0.8/0.1/0.1 ratio' },
  { key: 'protocol', flag: '--protocol <name>', kind: 'string', choices: PROTOCOLS, default: 'standard', description: 'evaluation protocol: standard (training items masked) or reference (the LLMInit code: nothing masked)' },
  { key: 'ks', flag: '--ks <list>', kind: 'list', default: [10, 20, 50], description: 'cut-offs K, comma-separated' },
  { key: 'validMetric', flag: '--valid-metric <name>', kind: 'string', default: 'ndcg@10', description: 'early-stopping metric' },
  { key: 'evalInitial', flag: '--eval-initial', kind: 'boolean', default: false, description: 'also evaluate the initial tables (epoch 0); always on with --init other than none' },
  { key: 'ratingMin', flag: '--rating-min <r>', kind: 'number', description: 'keep interactions with rating ≥ r (off by default)' },
  { key: 'kCore', flag: '--k-core <k>', kind: 'integer', min: 1, description: 'iterative k-core on users and items (off by default)' },
  { key: 'dedupe', flag: '--dedupe', kind: 'boolean', default: false, description: 'drop repeated (user, item) pairs' },
  {
    key: 'halveTrain',
    flag: '--halve-train',
    kind: 'boolean',
    default: false,
    description: "the paper's sparse setting: after the split each user keeps ⌈n/2⌉ of its n training interactions (drawn with the seed); validation and test unchanged; graph, degrees, popular items and user means come from the halved part",
  },
  { key: 'sslWeight', flag: '--ssl-weight <w>', kind: 'number', min: 0, description: 'contrastive weight λ (default per model: sgl 0.05, simgcl 0.5, xsimgcl 0.2)' },
  { key: 'temperature', flag: '--temperature <t>', kind: 'number', min: 0, description: 'contrastive temperature τ > 0 (default per model: sgl, sgcl, simgcl 0.2; xsimgcl 0.15)' },
  { key: 'noiseEps', flag: '--noise-eps <e>', kind: 'number', min: 0, description: 'SimGCL/XSimGCL noise magnitude ε (default simgcl 0.1, xsimgcl 0.2)' },
  { key: 'dropRatio', flag: '--drop-ratio <r>', kind: 'number', min: 0, max: 1, default: 0.1, description: 'SGL dropout ratio ρ, in [0, 1)' },
  { key: 'view', flag: '--view <kind>', kind: 'string', choices: VIEWS, default: 'edge', description: 'SGL augmentation: edge dropout, node dropout, or random walk (a fresh edge-dropout graph per layer)' },
  { key: 'clLayer', flag: '--cl-layer <l>', kind: 'integer', min: 1, max: 16, default: 1, description: 'XSimGCL contrastive layer l* (1..layers)' },
  { key: 'threads', flag: '--threads <n>', kind: 'integer', min: 1, max: 1024, description: 'worker threads (default: all cores; results do not depend on it)' },
]

export type Model = (typeof MODELS)[number]
export type Protocol = (typeof PROTOCOLS)[number]
export type SplitName = (typeof SPLITS)[number]
export type InitStrategy = (typeof INIT_STRATEGIES)[number]
export type InitScale = (typeof INIT_SCALES)[number]

/** What `train()` takes; only `data` is required. */
export interface TrainConfig {
  data: string
  format?: (typeof FORMATS)[number]
  userColumn?: string
  itemColumn?: string
  ratingColumn?: string
  timestampColumn?: string
  model?: Model
  dim?: number
  /** LLMInit strategy; default `RECOMMENDED_INIT` (`pca`) when item vectors are given, `none` (random init) otherwise. Anything but `none` needs `embeddings`. */
  init?: InitStrategy
  /** Item vectors file (Parquet, Arrow IPC or JSONL) keyed by the dataset's item ids. */
  embeddings?: string
  /** Instead of `embeddings`: a local ONNX model folder to embed the item text with (`embedItems`). */
  embedModelPath?: string
  /** With `embedEndpoint`, the endpoint's model name; alone, a Hugging Face Hub model id. */
  embedModel?: string
  /** An OpenAI-compatible embeddings endpoint (needs `embedModel`). */
  embedEndpoint?: string
  /** Text template over `.item` columns; default: the text-like columns. */
  embedTemplate?: string
  /** Items without text: `error` (default) or `zero`. */
  embedMissingText?: MissingTextPolicy
  /** Embedding cache folder; default `defaultCacheDir()`. */
  embedCacheDir?: string
  /** `random-norm` rescales LLM init tables to the random init's mean row norm; default `stored`. */
  initScale?: InitScale
  /** Share of the d columns taken from the random init instead of the LLM vectors, in [0, 1); default 0. */
  initMix?: number
  /** Share of items (by training degree) that `var` computes variances over; (0, 1], default 0.2. */
  popularRatio?: number
  layers?: number
  lr?: number
  batchSize?: number
  epochs?: number
  patience?: number
  regWeight?: number
  seed?: number
  split?: SplitName
  protocol?: Protocol
  ks?: number[]
  validMetric?: string
  /** Evaluate the initial tables too (the report's `initial`); forced on when `init` is not `none`. */
  evalInitial?: boolean
  ratingMin?: number
  kCore?: number
  dedupe?: boolean
  /** Cold-start setting: each user keeps ⌈n/2⌉ of its n training interactions (seeded); valid/test unchanged. */
  halveTrain?: boolean
  threads?: number
  /** Contrastive weight λ; default per model (sgl 0.05, simgcl 0.5, xsimgcl 0.2). */
  sslWeight?: number
  /** Contrastive temperature τ > 0; default per model (0.2; xsimgcl 0.15). */
  temperature?: number
  /** SimGCL/XSimGCL noise magnitude ε; default simgcl 0.1, xsimgcl 0.2. */
  noiseEps?: number
  /** SGL dropout ratio ρ in [0, 1); default 0.1. */
  dropRatio?: number
  /** SGL augmentation; default `edge`. */
  view?: (typeof VIEWS)[number]
  /** XSimGCL contrastive layer l* in 1..layers; default 1. */
  clLayer?: number
}

type Defaulted = 'model' | 'dim' | 'init' | 'initScale' | 'initMix' | 'popularRatio' | 'evalInitial' | 'layers' | 'lr' | 'batchSize' | 'epochs' | 'patience' | 'regWeight' | 'seed' | 'split' | 'protocol' | 'ks' | 'validMetric' | 'dedupe' | 'halveTrain' | 'dropRatio' | 'view' | 'clLayer'
/** A validated config with every default filled in. */
export type ResolvedTrainConfig = TrainConfig & Required<Pick<TrainConfig, Defaulted>>

function invalid(spec: OptionSpec, value: unknown, why: string): LlminitError {
  return new LlminitError('ERR_LLMINIT_INVALID_OPTION', `option ${spec.key} (${spec.flag.split(' ')[0]}): ${why}, got ${JSON.stringify(value)}`)
}

function check(spec: OptionSpec, value: unknown): unknown {
  switch (spec.kind) {
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(spec, value, 'expected a finite number')
      if (spec.kind === 'integer' && !Number.isInteger(value)) throw invalid(spec, value, 'expected an integer')
      if (spec.min !== undefined && value < spec.min) throw invalid(spec, value, `must be ≥ ${spec.min}`)
      if (spec.max !== undefined && value > spec.max) throw invalid(spec, value, `must be ≤ ${spec.max}`)
      if ((spec.key === 'lr' || spec.key === 'popularRatio' || spec.key === 'temperature') && value <= 0) throw invalid(spec, value, 'must be > 0')
      if ((spec.key === 'dropRatio' || spec.key === 'initMix') && value >= 1) throw invalid(spec, value, 'must be < 1')
      return value
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(spec, value, 'expected true or false')
      return value
    case 'string':
      if (typeof value !== 'string' || value === '') throw invalid(spec, value, 'expected a non-empty string')
      if (spec.choices && !spec.choices.includes(value)) throw invalid(spec, value, `expected one of ${spec.choices.join(', ')}`)
      return value
    case 'list':
      if (!Array.isArray(value) || value.length === 0 || !value.every((k) => Number.isInteger(k) && k > 0)) {
        throw invalid(spec, value, 'expected a non-empty list of positive integers')
      }
      return [...new Set(value as number[])].sort((a, b) => a - b)
  }
}

/** The reference code's regularization weight: 1e-5 (LLMInit's configs, RecBole), 1e-4 for SimGCL and XSimGCL (SELFRec). */
export function defaultRegWeight(model: Model): number {
  return model === 'simgcl' || model === 'xsimgcl' ? 1e-4 : 1e-5
}

/** Validates a config against the table and fills the defaults. Unknown keys are errors. */
export function resolveTrainConfig(config: TrainConfig): ResolvedTrainConfig {
  const known = new Map(TRAIN_OPTIONS.map((o) => [o.key, o]))
  for (const key of Object.keys(config)) {
    if (!known.has(key)) {
      throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `unknown option "${key}" (known: ${[...known.keys()].join(', ')})`)
    }
  }
  const out: Record<string, unknown> = {}
  for (const spec of TRAIN_OPTIONS) {
    const value = (config as unknown as Record<string, unknown>)[spec.key]
    if (value === undefined) {
      if (spec.default !== undefined) out[spec.key] = Array.isArray(spec.default) ? [...spec.default] : spec.default
      continue
    }
    out[spec.key] = check(spec, value)
  }
  if (typeof out.data !== 'string') {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', 'option data (--data): a dataset path is required')
  }
  const hasVectors = EMBEDDING_SOURCE_KEYS.some((key) => out[key] !== undefined)
  checkEmbeddingSource(out)
  if (out.init === undefined) out.init = hasVectors ? RECOMMENDED_INIT : 'none'
  if (out.regWeight === undefined) out.regWeight = defaultRegWeight(out.model as Model)
  const resolved = out as unknown as ResolvedTrainConfig
  checkInitMix(resolved)
  if (resolved.init !== 'none' && !hasVectors) {
    throw new LlminitError(
      'ERR_LLMINIT_INVALID_OPTION',
      `option init (--init): "${resolved.init}" initializes from LLM item vectors, so it needs embeddings (--embeddings <file>)`,
    )
  }
  if (resolved.model === 'xsimgcl' && resolved.clLayer > resolved.layers) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `option clLayer (--cl-layer): must be ≤ layers (${resolved.layers}), got ${resolved.clLayer}`)
  }
  const k = Number(resolved.validMetric.split('@')[1])
  if (!/^(recall|ndcg|mrr|hit|precision|map)@\d+$/.test(resolved.validMetric) || !resolved.ks.includes(k)) {
    throw new LlminitError(
      'ERR_LLMINIT_INVALID_OPTION',
      `option validMetric (--valid-metric): expected <recall|ndcg|mrr|hit|precision|map>@<k> with k in ${resolved.ks.join(',')}, got "${resolved.validMetric}"`,
    )
  }
  return resolved
}

/** `initMix` must name a whole number of random columns, at least one and fewer than d, of an LLM init with a width. */
function checkInitMix(c: ResolvedTrainConfig): void {
  if (c.initMix === 0) return
  const bad = (why: string) => new LlminitError('ERR_LLMINIT_INVALID_OPTION', `option initMix (--init-mix): ${why}, got ${c.initMix}`)
  if (c.init === 'none') throw bad('mixes random columns into an LLM init, so it needs --init other than none')
  if (c.init === 'full') throw bad('full keeps every column of the vectors, so there is none to replace; use a width d (--init pca, var, …)')
  const k = Math.round(c.initMix * c.dim)
  if (k === 0) throw bad(`round(${c.initMix} × d = ${c.dim}) replaces no column; use at least ${(0.5 / c.dim).toPrecision(2)}`)
  if (k >= c.dim) throw bad(`round(${c.initMix} × d = ${c.dim}) leaves no LLM column; use a smaller share`)
}

/** At most one source of item vectors: a file, a local model folder, a Hub model, or an endpoint (with its model name). */
function checkEmbeddingSource(out: Record<string, unknown>): void {
  const sources = [
    out.embeddings !== undefined && '--embeddings',
    out.embedModelPath !== undefined && '--embed-model-path',
    out.embedEndpoint !== undefined ? '--embed-endpoint' : out.embedModel !== undefined && '--embed-model',
  ].filter((s): s is string => typeof s === 'string')
  if (sources.length > 1) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `item vectors from one source only: got ${sources.join(' and ')}`)
  }
  if (out.embedEndpoint !== undefined && out.embedModel === undefined) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', "option embedEndpoint (--embed-endpoint): needs embedModel (--embed-model), the endpoint's model name")
  }
}

/** The README's options table, generated from `TRAIN_OPTIONS`. */
export function optionsMarkdown(): string {
  const rows = TRAIN_OPTIONS.map((o) => {
    const def = o.default === undefined ? '' : `\`${Array.isArray(o.default) ? o.default.join(',') : String(o.default)}\``
    const choices = o.choices ? ` (${o.choices.map((c) => `\`${c}\``).join(', ')})` : ''
    return `| \`${o.flag}\` | \`${o.key}\` | ${def} | ${o.description}${choices} |`
  })
  return ['| CLI flag | API key | default | meaning |', '|---|---|---|---|', ...rows].join('\n')
}
