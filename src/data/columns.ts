/** Which header field holds the user, the item, the rating and the timestamp. */
import { LlminitError, dataError } from '../errors.js'
import type { ColumnMapping } from './types.js'

type Role = keyof ColumnMapping

/** Header names tried, in order, when the caller names no column for a role. */
const RECBOLE_NAMES: Record<Role, string[]> = {
  user: ['user_id'],
  item: ['item_id'],
  rating: ['rating'],
  timestamp: ['timestamp'],
}
/** CSV/TSV exports in the wild also say `user`/`item` (or camelCase). */
const CSV_NAMES: Record<Role, string[]> = {
  user: ['user_id', 'user', 'userId'],
  item: ['item_id', 'item', 'itemId'],
  rating: ['rating'],
  timestamp: ['timestamp'],
}

export interface ColumnIndex {
  /** Field index of each role in a record; rating/timestamp are -1 when absent. */
  user: number
  item: number
  rating: number
  timestamp: number
  /** The header names used, for messages and for keying `.item`/`.user` tables. */
  names: ColumnMapping
}

/**
 * Finds the roles' fields in `header` (line 1 of `file`). A column the caller names must exist;
 * user and item must exist; rating and timestamp are optional unless named.
 */
export function resolveColumns(
  file: string,
  header: string[],
  requested: Partial<ColumnMapping> | undefined,
  style: 'recbole' | 'csv',
): ColumnIndex {
  const defaults = style === 'recbole' ? RECBOLE_NAMES : CSV_NAMES
  const find = (role: Role, required: boolean): [number, string | undefined] => {
    const named = requested?.[role]
    if (named !== undefined) {
      if (typeof named !== 'string' || named === '') {
        throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `columns.${role} must be a non-empty string`)
      }
      const at = header.indexOf(named)
      if (at === -1) throw dataError(file, 1, `missing ${role} column; the header has ${listNames(header)}`, named)
      return [at, named]
    }
    for (const name of defaults[role]) {
      const at = header.indexOf(name)
      if (at !== -1) return [at, name]
    }
    if (required) {
      throw dataError(file, 1, `missing ${role} column; the header has ${listNames(header)}`, defaults[role][0])
    }
    return [-1, undefined]
  }
  const [user, userName] = find('user', true)
  const [item, itemName] = find('item', true)
  const [rating, ratingName] = find('rating', false)
  const [timestamp, timestampName] = find('timestamp', false)
  const used = [user, item, rating, timestamp].filter((i) => i !== -1)
  if (new Set(used).size !== used.length) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${file}: two roles map to the same column (columns: ${JSON.stringify(requested)})`)
  }
  const names: ColumnMapping = { user: userName!, item: itemName! }
  if (ratingName !== undefined) names.rating = ratingName
  if (timestampName !== undefined) names.timestamp = timestampName
  return { user, item, rating, timestamp, names }
}

function listNames(header: string[]): string {
  return header.map((h) => JSON.stringify(h)).join(', ')
}
