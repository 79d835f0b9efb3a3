/**
 * RecBole atomic files (`.inter`, `.item`, `.user`): tab-separated, no quoting, a header of
 * `name:type` fields with type token, token_seq, float or float_seq.
 * https://recbole.io/docs/user_guide/data/atomic_files.html
 */
import { Field, Float64, RecordBatch, Schema, Struct, Table, Utf8, makeData, type Data } from 'apache-arrow'
import { dataError } from '../errors.js'
import { resolveColumns } from './columns.js'
import { RawInteractionsBuilder, parseFloatField, type RawInteractions } from './raw.js'
import { ATOMIC_FORMAT, RecordError, readRecords } from './records.js'
import type { ColumnMapping } from './types.js'

export const ATOMIC_TYPES = ['token', 'token_seq', 'float', 'float_seq'] as const
export type AtomicType = (typeof ATOMIC_TYPES)[number]

export interface AtomicField {
  name: string
  type: AtomicType
}

/** Key of the schema metadata entry that keeps each column's RecBole type in `itemTable`/`userTable`. */
export const RECBOLE_TYPE_METADATA = 'recbole_type'

/** Parses line 1 of an atomic file. */
export function parseAtomicHeader(file: string, header: string[]): AtomicField[] {
  const seen = new Set<string>()
  return header.map((text) => {
    const colon = text.lastIndexOf(':')
    if (colon <= 0) {
      throw dataError(file, 1, `header field ${JSON.stringify(text)} is not name:type (type one of ${ATOMIC_TYPES.join(', ')})`, text)
    }
    const name = text.slice(0, colon)
    const type = text.slice(colon + 1)
    if (!(ATOMIC_TYPES as readonly string[]).includes(type)) {
      throw dataError(file, 1, `unknown type ${JSON.stringify(type)} (expected one of ${ATOMIC_TYPES.join(', ')})`, name)
    }
    if (seen.has(name)) throw dataError(file, 1, 'duplicate column name', name)
    seen.add(name)
    return { name, type: type as AtomicType }
  })
}

function emptyFileError(file: string, records: number): Error {
  return records === 0
    ? dataError(file, 1, 'empty file: expected a header line')
    : dataError(file, 2, 'no rows after the header')
}

/** Reads an `.inter` file; `columns` renames the user/item/rating/timestamp fields. */
export async function readAtomicInteractions(file: string, columns?: Partial<ColumnMapping>): Promise<RawInteractions> {
  let builder: RawInteractionsBuilder | undefined
  const records = await readRecords(file, ATOMIC_FORMAT, (fields, index) => {
    if (builder === undefined) {
      const header = parseAtomicHeader(file, fields).map((f) => f.name)
      builder = new RawInteractionsBuilder(file, resolveColumns(file, header, columns, 'recbole'))
    } else {
      builder.add(fields, index)
    }
  })
  if (builder === undefined || records < 2) throw emptyFileError(file, records)
  return builder.finish()
}

/**
 * Reads an `.item` or `.user` file into an Arrow table, one column per header field:
 * token and token_seq → Utf8, float → Float64 (empty → null), float_seq → Utf8 (the raw text).
 * Each field carries its RecBole type in its metadata under `recbole_type`.
 * `keyColumn` (the `item_id` of the `.inter` mapping) must be present.
 */
export async function readAtomicTable(file: string, keyColumn: string): Promise<Table> {
  let fields: AtomicField[] | undefined
  let columns: (string[] | number[])[] = []
  const records = await readRecords(file, ATOMIC_FORMAT, (values, index) => {
    if (fields === undefined) {
      fields = parseAtomicHeader(file, values)
      if (!fields.some((f) => f.name === keyColumn)) {
        throw dataError(file, 1, `missing key column; the header has ${fields.map((f) => f.name).join(', ')}`, keyColumn)
      }
      columns = fields.map(() => [])
      return
    }
    for (let c = 0; c < fields.length; c++) {
      const text = values[c]
      if (fields[c].type === 'float') {
        const value = text === '' ? NaN : parseFloatField(text)
        if (value === undefined) throw new RecordError(index, `not a finite number: ${JSON.stringify(text)}`, fields[c].name)
        ;(columns[c] as number[]).push(value)
      } else {
        ;(columns[c] as string[]).push(text)
      }
    }
  })
  if (fields === undefined || records < 2) throw emptyFileError(file, records)
  const arrowFields = fields.map((f) => {
    const type = f.type === 'float' ? new Float64() : new Utf8()
    return new Field(f.name, type, true, new Map([[RECBOLE_TYPE_METADATA, f.type]]))
  })
  const children = fields.map((f, c) =>
    f.type === 'float' ? float64Data(columns[c] as number[]) : utf8Data(columns[c] as string[]),
  )
  const length = records - 1
  const struct = makeData({ type: new Struct(arrowFields), length, nullCount: 0, children })
  return new Table([new RecordBatch(new Schema(arrowFields), struct)])
}

/** One contiguous Float64 chunk; NaN marks an empty field and becomes null. */
function float64Data(values: number[]): Data<Float64> {
  const data = Float64Array.from(values)
  let nullCount = 0
  const nullBitmap = new Uint8Array((data.length + 7) >> 3)
  for (let i = 0; i < data.length; i++) {
    if (Number.isNaN(data[i])) nullCount++
    else nullBitmap[i >> 3] |= 1 << (i & 7)
  }
  return makeData({ type: new Float64(), length: data.length, nullCount, nullBitmap: nullCount ? nullBitmap : null, data })
}

/** One contiguous Utf8 chunk. */
function utf8Data(values: string[]): Data<Utf8> {
  const encoder = new TextEncoder()
  const valueOffsets = new Int32Array(values.length + 1)
  const parts = values.map((v) => encoder.encode(v))
  let total = 0
  parts.forEach((p, i) => {
    total += p.length
    valueOffsets[i + 1] = total
  })
  const data = new Uint8Array(total)
  parts.forEach((p, i) => data.set(p, valueOffsets[i]))
  return makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets, data })
}
