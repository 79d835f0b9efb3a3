/**
 * How sentence-transformers turns a model's token states into one vector, read from the model
 * folder as sentence-transformers reads it: `modules.json` lists the modules (Transformer, then
 * Pooling, then Normalize if present); `sentence_bert_config.json` beside the Transformer module
 * gives `max_seq_length` (the truncation length, often shorter than the tokenizer's); the Pooling
 * module's `config.json` the pooling mode. A folder without `modules.json` is what
 * sentence-transformers treats as a plain Hugging Face model: mean pooling, no normalisation,
 * truncation at the tokenizer's `model_max_length`.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LlminitError } from '../errors.js'

export const POOLINGS = ['mean', 'cls', 'max', 'mean_sqrt_len', 'last'] as const
export type Pooling = (typeof POOLINGS)[number]

export interface SentenceConfig {
  pooling: Pooling
  normalize: boolean
  /** Tokens kept per text, special tokens included; undefined: the tokenizer's `model_max_length`. */
  maxSeqLength?: number
  /** Where the values came from: `sentence-transformers` (the folder's files) or `defaults`. */
  from: 'sentence-transformers' | 'defaults'
}

const POOLING_KEYS: Record<string, Pooling> = {
  pooling_mode_mean_tokens: 'mean',
  pooling_mode_cls_token: 'cls',
  pooling_mode_max_tokens: 'max',
  pooling_mode_mean_sqrt_len_tokens: 'mean_sqrt_len',
  pooling_mode_lasttoken: 'last',
}

/** Reads a JSON file of the model; undefined when absent. */
export type JsonReader = (relativePath: string) => Promise<unknown>

/** A `JsonReader` over a local folder. */
export function folderJsonReader(dir: string): JsonReader {
  return async (relativePath) => {
    const file = join(dir, relativePath)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new LlminitError('ERR_LLMINIT_IO', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err })
    }
    try {
      return JSON.parse(text) as unknown
    } catch (err) {
      throw new LlminitError('ERR_LLMINIT_DATA', `${file}: not valid JSON (${(err as Error).message})`)
    }
  }
}

function configError(where: string, why: string): LlminitError {
  return new LlminitError('ERR_LLMINIT_DATA', `${where}: ${why}`)
}

/** The sentence-transformers pipeline of a model (see the module comment). */
export async function readSentenceConfig(read: JsonReader, modelName: string): Promise<SentenceConfig> {
  const modules = await read('modules.json')
  if (modules === undefined) return { pooling: 'mean', normalize: false, from: 'defaults' }
  if (!Array.isArray(modules)) throw configError(`${modelName}/modules.json`, 'expected a JSON array of modules')
  let pooling: Pooling | undefined
  let normalize = false
  let maxSeqLength: number | undefined
  for (const m of modules as { type?: unknown; path?: unknown }[]) {
    const type = String(m.type ?? '')
    const path = typeof m.path === 'string' ? m.path : ''
    const kind = type.split('.').pop()
    if (kind === 'Transformer') {
      const st = (await read(join(path, 'sentence_bert_config.json'))) as { max_seq_length?: unknown } | undefined
      if (st !== undefined && typeof st.max_seq_length === 'number') maxSeqLength = st.max_seq_length
    } else if (kind === 'Pooling') {
      pooling = poolingOf((await read(join(path, 'config.json'))) as Record<string, unknown> | undefined, `${modelName}/${join(path, 'config.json')}`)
    } else if (kind === 'Normalize') {
      normalize = true
    } else {
      throw configError(`${modelName}/modules.json`, `module ${JSON.stringify(type)} is not supported (Transformer, Pooling and Normalize are)`)
    }
  }
  return { pooling: pooling ?? 'mean', normalize, ...(maxSeqLength === undefined ? {} : { maxSeqLength }), from: 'sentence-transformers' }
}

function poolingOf(config: Record<string, unknown> | undefined, where: string): Pooling {
  if (config === undefined) throw configError(where, 'missing (modules.json lists a Pooling module)')
  const on = Object.keys(POOLING_KEYS).filter((k) => config[k] === true)
  if (on.length !== 1) {
    const other = Object.keys(config).filter((k) => k.startsWith('pooling_mode') && config[k] === true && !(k in POOLING_KEYS))
    throw configError(where, `expected exactly one of ${Object.keys(POOLING_KEYS).join(', ')} to be true, got ${[...on, ...other].join(', ') || 'none'}`)
  }
  return POOLING_KEYS[on[0]]
}
