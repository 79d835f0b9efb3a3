/** CSV (RFC 4180 quoting) and TSV (no quoting) interaction files with a header row. */
import { dataError } from '../errors.js'
import { resolveColumns } from './columns.js'
import { RawInteractionsBuilder, type RawInteractions } from './raw.js'
import { readRecords, type DelimitedFormat } from './records.js'
import type { ColumnMapping } from './types.js'

/**
 * Reads a delimited interaction file. Without `columns`, the header must name `user_id` (or
 * `user`, `userId`) and `item_id` (or `item`, `itemId`); `rating` and `timestamp` are used when present.
 */
export async function readDelimitedInteractions(
  file: string,
  format: DelimitedFormat,
  columns?: Partial<ColumnMapping>,
): Promise<RawInteractions> {
  let builder: RawInteractionsBuilder | undefined
  const records = await readRecords(file, format, (fields, index) => {
    if (builder === undefined) builder = new RawInteractionsBuilder(file, resolveColumns(file, fields, columns, 'csv'))
    else builder.add(fields, index)
  })
  if (records === 0) throw dataError(file, 1, 'empty file: expected a header line')
  if (builder === undefined || records < 2) throw dataError(file, 2, 'no rows after the header')
  return builder.finish()
}
