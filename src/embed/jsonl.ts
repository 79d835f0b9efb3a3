/**
 * JSON Lines embedding files: one object per line, `{"id": "…", "embedding": [0.1, …]}` (the id
 * key defaults to `id`, then `item_id`; numeric ids are accepted). Blank lines are skipped. Each
 * line's array exists as JS numbers only while that line is parsed; the vectors are copied into
 * one Float32Array as they are read.
 */
import { readFile } from 'node:fs/promises'
import { dataError, LlminitError } from '../errors.js'
import { DEFAULT_ID_COLUMN, DEFAULT_VECTOR_COLUMN, type ItemEmbeddings, type ReadEmbeddingsOptions } from './types.js'

export async function readJsonlEmbeddings(file: string, options: ReadEmbeddingsOptions = {}): Promise<ItemEmbeddings> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new LlminitError('ERR_LLMINIT_IO', `${file}: cannot read the embeddings file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err })
  }
  const vecKey = options.vectorColumn ?? DEFAULT_VECTOR_COLUMN
  const lines = text.split('\n')
  const nonBlank = lines.reduce((n, l) => n + (l.trim() === '' ? 0 : 1), 0)
  if (nonBlank === 0) throw dataError(file, undefined, 'empty file: no lines')

  const ids: string[] = []
  let dim = -1
  let vectors = new Float32Array(0)
  let idKey = options.idColumn
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k].trim()
    if (line === '') continue
    const lineNo = k + 1
    let record: unknown
    try {
      record = JSON.parse(line)
    } catch (err) {
      throw dataError(file, lineNo, `not valid JSON (${(err as Error).message})`)
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) throw dataError(file, lineNo, 'expected a JSON object')
    const obj = record as Record<string, unknown>
    idKey ??= 'id' in obj ? 'id' : DEFAULT_ID_COLUMN
    const id = obj[idKey]
    if (typeof id !== 'string' && typeof id !== 'number') throw dataError(file, lineNo, `missing or non-string id key "${idKey}"`, idKey)
    const vec = obj[vecKey]
    if (!Array.isArray(vec)) throw dataError(file, lineNo, `id "${id}": missing or non-array vector key "${vecKey}"`, vecKey)
    if (dim < 0) {
      if (vec.length === 0) throw dataError(file, lineNo, `id "${id}": empty vector`, vecKey)
      dim = vec.length
      vectors = new Float32Array(nonBlank * dim)
    } else if (vec.length !== dim) {
      throw dataError(file, lineNo, `id "${id}": vector of length ${vec.length}, expected ${dim} (the length of the first vector)`, vecKey)
    }
    const base = ids.length * dim
    for (let j = 0; j < dim; j++) {
      const v = vec[j]
      // null is how JSON writers spell NaN/Infinity; the alignment check reports it by position.
      vectors[base + j] = typeof v === 'number' ? v : v === null ? Number.NaN : badValue(file, lineNo, String(id), j, v)
    }
    ids.push(String(id))
  }
  return { file, ids, dim, vectors }
}

function badValue(file: string, line: number, id: string, j: number, v: unknown): never {
  throw dataError(file, line, `id "${id}": position ${j} is ${JSON.stringify(v)}, not a number`)
}
