/**
 * Interactions as read from a file, before filtering: users and items carry provisional codes in
 * order of first appearance over all rows, so filtering and remapping work on typed arrays only.
 */
import { RecordError } from './records.js'
import type { ColumnIndex } from './columns.js'
import type { ColumnMapping } from './types.js'

export interface RawInteractions {
  file: string
  length: number
  /** Provisional code per row; `userTokens[code]` is the raw id. */
  users: Uint32Array
  items: Uint32Array
  userTokens: string[]
  itemTokens: string[]
  rating?: Float64Array
  timestamp?: Float64Array
  columns: ColumnMapping
}

/** Parses a float field; `undefined` for empty or non-numeric text (`Number('')` would be 0). */
export function parseFloatField(text: string): number | undefined {
  if (text === '') return undefined
  const value = Number(text)
  return Number.isFinite(value) ? value : undefined
}

function doubled<T extends Uint32Array | Float64Array>(array: T): T {
  const bigger = new (array.constructor as new (n: number) => T)(array.length * 2)
  bigger.set(array)
  return bigger
}

/** Collects the records of one interaction file (header excluded) into typed arrays. */
export class RawInteractionsBuilder {
  private length = 0
  private users = new Uint32Array(1 << 16)
  private items = new Uint32Array(1 << 16)
  private rating: Float64Array | undefined
  private timestamp: Float64Array | undefined
  private readonly userCodes = new Map<string, number>()
  private readonly itemCodes = new Map<string, number>()
  private readonly userTokens: string[] = []
  private readonly itemTokens: string[] = []

  constructor(
    private readonly file: string,
    private readonly columns: ColumnIndex,
  ) {
    if (columns.rating !== -1) this.rating = new Float64Array(1 << 16)
    if (columns.timestamp !== -1) this.timestamp = new Float64Array(1 << 16)
  }

  /** Adds record `index` (the header is record 0). Throws `RecordError` for a bad value. */
  add(fields: string[], index: number): void {
    const row = this.length
    if (row === this.users.length) {
      this.users = doubled(this.users)
      this.items = doubled(this.items)
      if (this.rating) this.rating = doubled(this.rating)
      if (this.timestamp) this.timestamp = doubled(this.timestamp)
    }
    const { columns } = this
    this.users[row] = code(fields[columns.user], this.userCodes, this.userTokens, index, columns.names.user)
    this.items[row] = code(fields[columns.item], this.itemCodes, this.itemTokens, index, columns.names.item)
    if (this.rating) this.rating[row] = number(fields[columns.rating], index, columns.names.rating!)
    if (this.timestamp) this.timestamp[row] = number(fields[columns.timestamp], index, columns.names.timestamp!)
    this.length = row + 1
  }

  finish(): RawInteractions {
    const n = this.length
    const raw: RawInteractions = {
      file: this.file,
      length: n,
      users: this.users.slice(0, n),
      items: this.items.slice(0, n),
      userTokens: this.userTokens,
      itemTokens: this.itemTokens,
      columns: this.columns.names,
    }
    if (this.rating) raw.rating = this.rating.slice(0, n)
    if (this.timestamp) raw.timestamp = this.timestamp.slice(0, n)
    return raw
  }
}

function code(token: string, codes: Map<string, number>, tokens: string[], index: number, column: string): number {
  if (token === '') throw new RecordError(index, 'empty id', column)
  let c = codes.get(token)
  if (c === undefined) {
    c = tokens.length
    codes.set(token, c)
    tokens.push(token)
  }
  return c
}

function number(text: string, index: number, column: string): number {
  const value = parseFloatField(text)
  if (value === undefined) throw new RecordError(index, `not a finite number: ${JSON.stringify(text)}`, column)
  return value
}
