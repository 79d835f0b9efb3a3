/** Item vectors as an Arrow table: an id column (Utf8) and `embedding`, fixed_size_list<float32>[dim]. */
import { Field, FixedSizeList, Float32, RecordBatch, Schema, Struct, Table, Utf8, makeData, vectorFromArray } from 'apache-arrow'
import { DEFAULT_ID_COLUMN, DEFAULT_VECTOR_COLUMN } from './types.js'

/** `ids.length × dim` values of `vectors` (row-major) as one record batch; the values are not copied. */
export function embeddingsTable(ids: readonly string[], dim: number, vectors: Float32Array, idColumn: string = DEFAULT_ID_COLUMN): Table {
  const n = ids.length
  const listType = new FixedSizeList(dim, new Field('item', new Float32(), false))
  const fields = [new Field(idColumn, new Utf8(), false), new Field(DEFAULT_VECTOR_COLUMN, listType, false)]
  const values = makeData({ type: new Float32(), length: n * dim, nullCount: 0, data: vectors.subarray(0, n * dim) })
  const children = [vectorFromArray([...ids], new Utf8()).data[0], makeData({ type: listType, length: n, nullCount: 0, child: values })]
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children })
  return new Table([new RecordBatch(new Schema(fields), struct)])
}
