import type { Table } from 'apache-arrow'

/** Column mapping for CSV/TSV input: which header names hold what. */
export interface ColumnMapping {
  user: string
  item: string
  rating?: string
  timestamp?: string
}

export interface FilterOptions {
  /** Keep interactions with rating >= this value (needs a rating column). */
  ratingMin?: number
  /** Iterative k-core: drop users and items with fewer than k interactions until stable. */
  kCore?: number
  /** Drop repeated (user, item) pairs, keeping the first occurrence in file order. */
  dedupe?: boolean
}

export type SplitMode = 'loo-random' | 'loo-time' | 'ratio'

export interface SplitOptions {
  mode: SplitMode
  seed: number
  /** Train/valid/test ratios for `ratio` (default [0.8, 0.1, 0.1]). */
  ratios?: [number, number, number]
}

/**
 * A loaded, filtered interaction set with dense ids.
 * `table` has columns `user` (Uint32), `item` (Uint32) and, when present, `rating` (Float32) and
 * `timestamp` (Float64), each in one contiguous chunk so their `.values` can go to Rust as is.
 */
export interface Interactions {
  name: string
  /** Files the data came from (for reports and error messages). */
  files: string[]
  table: Table
  nUsers: number
  nItems: number
  /** Dense id -> raw token, for users and items. */
  userIds: string[]
  itemIds: string[]
  /** The `.item` file as a table keyed by raw item id, when the dataset has one. */
  itemTable?: Table
  /** The `.user` file as a table keyed by raw user id, when the dataset has one. */
  userTable?: Table
}

/** One part of a split: parallel dense-id arrays. */
export interface InteractionPart {
  users: Uint32Array
  items: Uint32Array
  /** Row of each interaction in `Interactions.table` (to look up its rating or timestamp). */
  rows?: Uint32Array
}

export interface Split {
  train: InteractionPart
  valid: InteractionPart
  test: InteractionPart
}

/** Counts of a dataset; `train`, `valid` and `test` are 0 when no split is given. */
export interface DatasetStats {
  users: number
  items: number
  interactions: number
  density: number
  train: number
  valid: number
  test: number
}
