/** Dense ids after filtering, and the Arrow table of interactions. */
import { Table, makeVector } from 'apache-arrow'
import type { RawInteractions } from './raw.js'

export interface DenseInteractions {
  table: Table
  nUsers: number
  nItems: number
  userIds: string[]
  itemIds: string[]
}

/**
 * Numbers users and items 0, 1, 2 … in order of first appearance among `rows` (all rows when
 * undefined). Each table column is one contiguous chunk over a typed array.
 */
export function remapDense(raw: RawInteractions, rows: Uint32Array | undefined): DenseInteractions {
  // The provisional codes already are first-appearance order over all rows.
  if (rows === undefined) {
    return {
      table: interactionTable(raw.users, raw.items, raw.rating, raw.timestamp),
      nUsers: raw.userTokens.length,
      nItems: raw.itemTokens.length,
      userIds: raw.userTokens,
      itemIds: raw.itemTokens,
    }
  }
  const n = rows.length
  const users = new Uint32Array(n)
  const items = new Uint32Array(n)
  const userIds = renumber(raw.users, rows, raw.userTokens, users)
  const itemIds = renumber(raw.items, rows, raw.itemTokens, items)
  let rating: Float64Array | undefined
  let timestamp: Float64Array | undefined
  if (raw.rating) {
    rating = new Float64Array(n)
    for (let j = 0; j < n; j++) rating[j] = raw.rating[rows[j]]
  }
  if (raw.timestamp) {
    timestamp = new Float64Array(n)
    for (let j = 0; j < n; j++) timestamp[j] = raw.timestamp[rows[j]]
  }
  return { table: interactionTable(users, items, rating, timestamp), nUsers: userIds.length, nItems: itemIds.length, userIds, itemIds }
}

/** Writes dense codes of `codes[rows[j]]` into `out[j]`; returns dense code → token. */
function renumber(codes: Uint32Array, rows: Uint32Array, tokens: string[], out: Uint32Array): string[] {
  const dense = new Int32Array(tokens.length).fill(-1)
  const ids: string[] = []
  for (let j = 0; j < rows.length; j++) {
    const c = codes[rows[j]]
    let d = dense[c]
    if (d === -1) {
      d = dense[c] = ids.length
      ids.push(tokens[c])
    }
    out[j] = d
  }
  return ids
}

function interactionTable(users: Uint32Array, items: Uint32Array, rating?: Float64Array, timestamp?: Float64Array): Table {
  const columns: Record<string, ReturnType<typeof makeVector>> = {
    user: makeVector(users),
    item: makeVector(items),
  }
  // Float32 is enough for ratings; timestamps stay Float64, float32 would merge nearby Unix seconds.
  if (rating) columns.rating = makeVector(Float32Array.from(rating))
  if (timestamp) columns.timestamp = makeVector(timestamp)
  return new Table(columns)
}
