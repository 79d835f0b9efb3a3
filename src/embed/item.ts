/**
 * A `float_seq` column of a RecBole `.item` atomic file as item vectors: tab-separated, no
 * quoting, header `name:type`; the vector is the column's space-separated floats, the id the
 * `item_id` column (or `idColumn`). The vector column is `vectorColumn` (with or without its
 * `:float_seq` suffix), else the file's only float_seq column. Blank lines are skipped; line
 * numbers in errors count from 1 (the header). Values go straight into one Float32Array.
 */
import { readFile } from 'node:fs/promises'
import { parseAtomicHeader } from '../data/atomic.js'
import { dataError, LlminitError } from '../errors.js'
import { DEFAULT_ID_COLUMN, type ItemEmbeddings, type ReadEmbeddingsOptions } from './types.js'

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity|nan)$/i

function parseValue(token: string): number {
  if (!NUMBER.test(token)) return Number.NaN
  const lower = token.toLowerCase().replace(/^\+/, '')
  if (lower === 'inf' || lower === 'infinity') return Number.POSITIVE_INFINITY
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY
  return Number(token) // 'nan' → NaN, reported by alignEmbeddings
}

export async function readItemEmbeddings(file: string, options: ReadEmbeddingsOptions = {}): Promise<ItemEmbeddings> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new LlminitError('ERR_LLMINIT_IO', `${file}: cannot read the embeddings file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err })
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
  const headerIndex = lines.findIndex((l) => l.trim() !== '')
  if (headerIndex < 0) throw dataError(file, 1, 'empty file: expected a header line')
  const fields = parseAtomicHeader(file, lines[headerIndex].split('\t'))
  const names = fields.map((f) => `${f.name}:${f.type}`).join(', ')

  const idName = options.idColumn ?? DEFAULT_ID_COLUMN
  const idCol = fields.findIndex((f) => f.name === idName)
  if (idCol < 0) throw dataError(file, headerIndex + 1, `no id column "${idName}" (columns: ${names})`, idName)

  let vecCol: number
  if (options.vectorColumn !== undefined) {
    const wanted = options.vectorColumn.replace(/:float_seq$/, '')
    vecCol = fields.findIndex((f) => f.name === wanted)
    if (vecCol < 0) throw dataError(file, headerIndex + 1, `no vector column "${wanted}" (columns: ${names})`, wanted)
    if (fields[vecCol].type !== 'float_seq') {
      throw dataError(file, headerIndex + 1, `the vector column is of type ${fields[vecCol].type}, expected float_seq`, wanted)
    }
  } else {
    const seqs = fields.flatMap((f, k) => (f.type === 'float_seq' ? [k] : []))
    if (seqs.length === 0) throw dataError(file, headerIndex + 1, `no float_seq column to read vectors from (columns: ${names})`)
    if (seqs.length > 1) {
      throw dataError(file, headerIndex + 1, `${seqs.length} float_seq columns (${seqs.map((k) => fields[k].name).join(', ')}): choose one with vectorColumn`)
    }
    vecCol = seqs[0]
  }
  const vecName = fields[vecCol].name

  let capacity = 0
  for (let k = headerIndex + 1; k < lines.length; k++) if (lines[k].trim() !== '') capacity++
  if (capacity === 0) throw dataError(file, headerIndex + 2, 'no rows after the header')

  const ids: string[] = []
  let dim = -1
  let dimLine = 0
  let vectors = new Float32Array(0)
  const needed = Math.max(idCol, vecCol) + 1
  for (let k = headerIndex + 1; k < lines.length; k++) {
    const line = lines[k]
    if (line.trim() === '') continue
    const lineNo = k + 1
    const values = line.split('\t')
    if (values.length < needed) throw dataError(file, lineNo, `${values.length} fields, the header has ${fields.length}`)
    const id = values[idCol]
    const seq = values[vecCol].trim()
    const tokens = seq === '' ? [] : seq.split(/\s+/)
    if (dim < 0) {
      if (tokens.length === 0) throw dataError(file, lineNo, `item id "${id}": empty vector`, vecName)
      dim = tokens.length
      dimLine = lineNo
      vectors = new Float32Array(capacity * dim)
    } else if (tokens.length !== dim) {
      throw dataError(file, lineNo, `item id "${id}": vector of length ${tokens.length}, expected ${dim} (the length at line ${dimLine})`, vecName)
    }
    const base = ids.length * dim
    for (let j = 0; j < dim; j++) {
      const v = parseValue(tokens[j])
      if (Number.isNaN(v) && !/nan$/i.test(tokens[j])) {
        throw dataError(file, lineNo, `item id "${id}": position ${j} is ${JSON.stringify(tokens[j])}, not a number`, vecName)
      }
      vectors[base + j] = v
    }
    ids.push(id)
  }
  return { file, ids, dim, vectors }
}
