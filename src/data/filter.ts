/**
 * Interaction filters, applied in this order: rating threshold, duplicate removal, iterative
 * k-core. All are off by default.
 */
import { LlminitError, dataError } from '../errors.js'
import type { RawInteractions } from './raw.js'
import type { FilterOptions } from './types.js'

export function validateFilters(filters: FilterOptions | undefined): void {
  if (filters === undefined) return
  const { ratingMin, kCore, dedupe } = filters
  if (ratingMin !== undefined && (typeof ratingMin !== 'number' || !Number.isFinite(ratingMin))) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `filters.ratingMin must be a finite number, got ${String(ratingMin)}`)
  }
  if (kCore !== undefined && !(Number.isSafeInteger(kCore) && kCore >= 0)) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `filters.kCore must be a non-negative integer, got ${String(kCore)}`)
  }
  if (dedupe !== undefined && typeof dedupe !== 'boolean') {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `filters.dedupe must be a boolean, got ${String(dedupe)}`)
  }
}

/**
 * Returns the rows that pass the (already validated) filters, in file order, or `undefined` when
 * every row passes (so the caller can keep its arrays).
 */
export function filterRows(raw: RawInteractions, filters: FilterOptions = {}): Uint32Array | undefined {
  const { ratingMin, kCore, dedupe } = filters
  if (ratingMin === undefined && !dedupe && (kCore === undefined || kCore <= 1)) return undefined
  const keep = new Uint8Array(raw.length).fill(1)
  if (ratingMin !== undefined) keepRatingAtLeast(raw, ratingMin, keep)
  if (dedupe) dropDuplicates(raw, keep)
  if (kCore !== undefined && kCore > 1) keepKCore(raw, kCore, keep)
  let kept = 0
  for (let r = 0; r < keep.length; r++) kept += keep[r]
  if (kept === raw.length) return undefined
  const rows = new Uint32Array(kept)
  for (let r = 0, j = 0; r < keep.length; r++) if (keep[r]) rows[j++] = r
  return rows
}

function keepRatingAtLeast(raw: RawInteractions, ratingMin: number, keep: Uint8Array): void {
  const { rating } = raw
  if (rating === undefined) {
    throw dataError(raw.file, 1, `filters.ratingMin needs a rating column and the header has none`, 'rating')
  }
  for (let r = 0; r < raw.length; r++) if (!(rating[r] >= ratingMin)) keep[r] = 0
}

/** Keeps the first (user, item) occurrence among the rows still kept. */
function dropDuplicates(raw: RawInteractions, keep: Uint8Array): void {
  const nItems = raw.itemTokens.length
  // user·nItems + item stays below 2^53 for any dataset that fits in memory.
  const seen = new Set<number>()
  for (let r = 0; r < raw.length; r++) {
    if (!keep[r]) continue
    const key = raw.users[r] * nItems + raw.items[r]
    if (seen.has(key)) keep[r] = 0
    else seen.add(key)
  }
}

/**
 * Drops users and items with fewer than k kept interactions, and again for those that fall below
 * k after that, until every remaining user and item has at least k. Done by peeling (a queue of
 * nodes below k, each removal updating its neighbours' degrees), which reaches the same fixed point
 * as repeated whole-table passes — the largest subset where all degrees are ≥ k is unique — in
 * O(rows) instead of O(rows × rounds).
 */
function keepKCore(raw: RawInteractions, k: number, keep: Uint8Array): void {
  const nUsers = raw.userTokens.length
  const nItems = raw.itemTokens.length
  // Nodes 0..nUsers-1 are users, nUsers.. are items; one CSR of rows per node.
  const nNodes = nUsers + nItems
  const degree = new Uint32Array(nNodes)
  for (let r = 0; r < raw.length; r++) {
    if (!keep[r]) continue
    degree[raw.users[r]]++
    degree[nUsers + raw.items[r]]++
  }
  const offsets = new Uint32Array(nNodes + 1)
  for (let v = 0; v < nNodes; v++) offsets[v + 1] = offsets[v] + degree[v]
  const fill = offsets.slice(0, nNodes)
  const rowsOf = new Uint32Array(offsets[nNodes])
  for (let r = 0; r < raw.length; r++) {
    if (!keep[r]) continue
    rowsOf[fill[raw.users[r]]++] = r
    rowsOf[fill[nUsers + raw.items[r]]++] = r
  }
  const removed = new Uint8Array(nNodes)
  const queue = new Uint32Array(nNodes)
  let head = 0
  let tail = 0
  for (let v = 0; v < nNodes; v++) {
    if (degree[v] > 0 && degree[v] < k) {
      removed[v] = 1
      queue[tail++] = v
    }
  }
  while (head < tail) {
    const v = queue[head++]
    for (let p = offsets[v]; p < offsets[v + 1]; p++) {
      const r = rowsOf[p]
      if (!keep[r]) continue
      keep[r] = 0
      const other = v < nUsers ? nUsers + raw.items[r] : raw.users[r]
      degree[v]--
      degree[other]--
      if (!removed[other] && degree[other] < k) {
        removed[other] = 1
        queue[tail++] = other
      }
    }
  }
}
