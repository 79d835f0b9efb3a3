/**
 * A content-addressed cache of item vectors. Each vector is stored under the sha256 of (source
 * identity — model files' hashes or name, pooling, truncation, normalisation —, text template,
 * item text), so a re-run embeds nothing again, and a changed model, template or text never
 * reuses a stale vector. One Arrow IPC file per source (`embeddings-<hash>.arrow`: columns `key`
 * and `embedding`), rewritten whole and atomically (temporary sibling + rename) when new vectors
 * are added. Two processes saving the same file at once keep only one's additions (both stay
 * correct: a lost entry is embedded again).
 *
 * Location: `cacheDir`, else `$LLMINIT_CACHE_DIR`, else `$XDG_CACHE_HOME/llminit`, else
 * `~/.cache/llminit` (not the data folder, which may be read-only).
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { tableFromIPC, tableToIPC } from 'apache-arrow'
import { dataError, LlminitError } from '../errors.js'
import { writeFileAtomic } from '../io/atomic-write.js'
import { embeddingsFromTable } from './arrow.js'
import { embeddingsTable } from './table.js'

export const CACHE_DIR_ENV = 'LLMINIT_CACHE_DIR'

/** The cache folder used when none is given (see the module comment). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env[CACHE_DIR_ENV]) return env[CACHE_DIR_ENV]!
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'llminit')
  return join(homedir(), '.cache', 'llminit')
}

/** JSON with object keys sorted, so equal identities hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** The cache key of one item's vector. */
export function itemKey(identity: Readonly<Record<string, unknown>>, template: string, text: string): string {
  return sha256(canonical({ identity, template, text }))
}

export class EmbeddingCache {
  readonly file: string
  #dim: number | undefined
  readonly #rows = new Map<string, Float32Array>()
  #added = 0

  private constructor(file: string) {
    this.file = file
  }

  /** Opens (or starts) the cache file of `identity` in `dir`. */
  static async open(dir: string, identity: Readonly<Record<string, unknown>>): Promise<EmbeddingCache> {
    const cache = new EmbeddingCache(join(dir, `embeddings-${sha256(canonical(identity)).slice(0, 24)}.arrow`))
    let bytes: Uint8Array
    try {
      bytes = await readFile(cache.file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return cache
      throw new LlminitError('ERR_LLMINIT_IO', `${cache.file}: cannot read the embedding cache (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err })
    }
    let emb
    try {
      emb = embeddingsFromTable(tableFromIPC(bytes), cache.file, { idColumn: 'key' })
    } catch (err) {
      throw dataError(cache.file, undefined, `unreadable embedding cache (${(err as Error).message}); delete the file to rebuild it`)
    }
    cache.#dim = emb.dim
    emb.ids.forEach((key, r) => cache.#rows.set(key, emb.vectors.subarray(r * emb.dim, (r + 1) * emb.dim)))
    return cache
  }

  /** Vector length of the stored vectors; undefined while empty. */
  get dim(): number | undefined {
    return this.#dim
  }

  get size(): number {
    return this.#rows.size
  }

  get(key: string): Float32Array | undefined {
    return this.#rows.get(key)
  }

  /** Adds (a copy of) `vector`; its length must match the stored ones. */
  put(key: string, vector: Float32Array): void {
    this.#dim ??= vector.length
    if (vector.length !== this.#dim) {
      throw dataError(this.file, undefined, `a vector of length ${vector.length} for a cache of length ${this.#dim}: the model's output changed; delete the file`)
    }
    if (!this.#rows.has(key)) this.#added++
    this.#rows.set(key, vector.slice())
  }

  /** Writes the file when something was added (atomically); returns whether it wrote. */
  async save(): Promise<boolean> {
    if (this.#added === 0 || this.#dim === undefined) return false
    const dim = this.#dim
    const keys = [...this.#rows.keys()]
    const vectors = new Float32Array(keys.length * dim)
    keys.forEach((k, r) => vectors.set(this.#rows.get(k)!, r * dim))
    await writeFileAtomic(this.file, tableToIPC(embeddingsTable(keys, dim, vectors, 'key'), 'file'))
    this.#added = 0
    return true
  }
}
