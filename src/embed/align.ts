/** Puts an embedding file's rows in a dataset's dense item-id order, checking them on the way. */
import { dataError } from '../errors.js'
import type { ItemEmbeddings } from './types.js'

/**
 * Returns `itemIds.length × emb.dim` values, row k = the vector of raw item id `itemIds[k]`
 * (`Interactions.itemIds`: dense id → raw token). Rows of the file that no item uses are skipped
 * unchecked.
 *
 * @throws LlminitError `ERR_LLMINIT_DATA`, the message starting with `file`, for an empty file, an
 *   id listed twice, an item of the dataset without a vector, or a NaN/±Infinity value (with the
 *   id and the position in the vector).
 */
export function alignEmbeddings(emb: ItemEmbeddings, itemIds: readonly string[], file: string = emb.file): Float32Array {
  const { ids, dim, vectors } = emb
  if (ids.length === 0 || dim === 0) throw dataError(file, undefined, 'empty file: no vectors')
  if (vectors.length !== ids.length * dim) {
    throw dataError(file, undefined, `${vectors.length} values for ${ids.length} ids of dimension ${dim}`)
  }
  const rowOf = new Map<string, number>()
  for (let r = 0; r < ids.length; r++) {
    const first = rowOf.get(ids[r])
    if (first !== undefined) throw dataError(file, undefined, `item id "${ids[r]}" appears twice (rows ${first + 1} and ${r + 1})`)
    rowOf.set(ids[r], r)
  }
  const out = new Float32Array(itemIds.length * dim)
  let missing = 0
  let firstMissing = ''
  for (let k = 0; k < itemIds.length; k++) {
    const r = rowOf.get(itemIds[k])
    if (r === undefined) {
      if (missing++ === 0) firstMissing = itemIds[k]
      continue
    }
    const row = vectors.subarray(r * dim, (r + 1) * dim)
    for (let j = 0; j < dim; j++) {
      if (!Number.isFinite(row[j])) {
        throw dataError(file, undefined, `item id "${itemIds[k]}" (row ${r + 1}): value ${row[j]} at position ${j} of the vector`)
      }
    }
    out.set(row, k * dim)
  }
  if (missing > 0) {
    const more = missing > 1 ? ` and ${missing - 1} other item(s) of the dataset` : ''
    throw dataError(file, undefined, `no vector for item id "${firstMissing}"${more} (${ids.length} ids in the file, ${itemIds.length} items in the dataset)`)
  }
  return out
}
