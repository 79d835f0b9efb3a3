/**
 * Arrow IPC embedding files (`.arrow`, `.feather` v2, `.ipc`; file or stream format), and the
 * conversion of any Arrow table — also what the Parquet reader produces — into `ItemEmbeddings`.
 * The vector column is FixedSizeList<Float32> (read in place when the table has one chunk) or
 * List<Float32>; Float64 values are accepted and rounded to Float32.
 */
import { readFile } from 'node:fs/promises'
import { DataType, tableFromIPC, type Data, type Table, type Vector } from 'apache-arrow'
import { dataError, LlminitError } from '../errors.js'
import { DEFAULT_ID_COLUMN, DEFAULT_VECTOR_COLUMN, type ItemEmbeddings, type ReadEmbeddingsOptions } from './types.js'

export async function readArrowEmbeddings(file: string, options: ReadEmbeddingsOptions = {}): Promise<ItemEmbeddings> {
  const bytes = await readBytes(file)
  let table: Table
  try {
    table = tableFromIPC(bytes)
  } catch (err) {
    throw dataError(file, undefined, `not an Arrow IPC file or stream (${(err as Error).message})`)
  }
  return embeddingsFromTable(table, file, options)
}

export async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file)
  } catch (err) {
    throw new LlminitError('ERR_LLMINIT_IO', `${file}: cannot read the embeddings file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err })
  }
}

type FloatValues = Float32Array | Float64Array

/** Ids and vectors of an Arrow table; row numbers in errors count from 1. */
export function embeddingsFromTable(table: Table, file: string, options: ReadEmbeddingsOptions = {}): ItemEmbeddings {
  const idName = options.idColumn ?? DEFAULT_ID_COLUMN
  const vecName = options.vectorColumn ?? DEFAULT_VECTOR_COLUMN
  const names = table.schema.fields.map((f) => f.name)
  const column = (name: string, what: string) => {
    const col = table.getChild(name)
    if (col === null) throw dataError(file, undefined, `no ${what} column "${name}" (columns: ${names.join(', ')})`, name)
    return col
  }
  const idCol = column(idName, 'id')
  const vecCol = column(vecName, 'vector')
  if (table.numRows === 0) throw dataError(file, undefined, 'empty file: no rows')

  const ids = readIds(idCol, file, idName)
  const type = vecCol.type
  const isFixed = DataType.isFixedSizeList(type)
  if (!isFixed && !DataType.isList(type)) {
    throw dataError(file, undefined, `expected a fixed_size_list<float32> or list<float32> column, got ${String(type)}`, vecName)
  }
  const valueType = type.children[0].type
  if (!DataType.isFloat(valueType) || (valueType.precision !== 1 && valueType.precision !== 2)) {
    throw dataError(file, undefined, `expected float32 (or float64) vector values, got ${String(valueType)}`, vecName)
  }
  const n = table.numRows
  const chunks = vecCol.data as Data[]
  const rowName = (row: number) => `row ${row + 1} (id "${ids[row]}")`
  const checkNulls = (data: Data, first: number) => {
    if (data.nullCount > 0) {
      for (let r = 0; r < data.length; r++) {
        if (!data.getValid(r)) throw dataError(file, undefined, `${rowName(first + r)} has no vector (null)`, vecName)
      }
    }
    if (data.children[0].nullCount > 0) throw dataError(file, undefined, `a vector holds a null value (first in the chunk at ${rowName(first)})`, vecName)
  }

  if (isFixed) {
    const dim = type.listSize
    if (dim === 0) throw dataError(file, undefined, 'vectors have length 0', vecName)
    // One Float32 chunk (the usual case for files written in one piece): a view, no copy.
    const only = chunks.length === 1 ? (chunks[0].children[0].values as FloatValues) : undefined
    if (only instanceof Float32Array) {
      checkNulls(chunks[0], 0)
      return { file, ids, dim, vectors: only.subarray(0, n * dim) }
    }
    const vectors = new Float32Array(n * dim)
    let row = 0
    for (const data of chunks) {
      checkNulls(data, row)
      vectors.set((data.children[0].values as FloatValues).subarray(0, data.length * dim), row * dim)
      row += data.length
    }
    return { file, ids, dim, vectors }
  }

  // list<float>: every row must have the first row's length.
  let dim = -1
  let vectors = new Float32Array(0)
  let row = 0
  for (const data of chunks) {
    checkNulls(data, row)
    const offsets = data.valueOffsets as Int32Array
    const values = data.children[0].values as FloatValues
    for (let r = 0; r < data.length; r++, row++) {
      const start = offsets[r]
      const len = offsets[r + 1] - start
      if (dim < 0) {
        if (len === 0) throw dataError(file, undefined, `${rowName(row)} has an empty vector`, vecName)
        dim = len
        vectors = new Float32Array(n * dim)
      } else if (len !== dim) {
        throw dataError(file, undefined, `${rowName(row)} has a vector of length ${len}, expected ${dim} (the length of row 1)`, vecName)
      }
      vectors.set(values.subarray(start, start + len), row * dim)
    }
  }
  return { file, ids, dim, vectors }
}

function readIds(col: Vector, file: string, name: string): string[] {
  if (!DataType.isUtf8(col.type) && !DataType.isLargeUtf8(col.type) && !DataType.isInt(col.type)) {
    throw dataError(file, undefined, `expected a string or integer id column, got ${String(col.type)}`, name)
  }
  const ids = new Array<string>(col.length)
  for (let r = 0; r < col.length; r++) {
    const v: unknown = col.get(r)
    if (v === null || v === undefined) throw dataError(file, undefined, `row ${r + 1} has no id (null)`, name)
    ids[r] = String(v)
  }
  return ids
}
