/** Finds the files of a dataset, reads them, filters, and numbers users and items densely. */
import { stat } from 'node:fs/promises'
import { basename, extname, join, dirname } from 'node:path'
import { LlminitError } from '../errors.js'
import { readAtomicInteractions, readAtomicTable } from './atomic.js'
import { readDelimitedInteractions } from './csv.js'
import { filterRows, validateFilters } from './filter.js'
import type { RawInteractions } from './raw.js'
import { CSV_FORMAT, TSV_FORMAT } from './records.js'
import { remapDense } from './remap.js'
import type { ColumnMapping, FilterOptions, Interactions } from './types.js'

export interface LoadOptions {
  /** Default: from the path — a folder or `.inter` is atomic, `.csv` is csv, `.tsv`/`.tab` is tsv. */
  format?: 'atomic' | 'csv' | 'tsv'
  /** Header names of the user, item, rating and timestamp fields, when not the defaults. */
  columns?: Partial<ColumnMapping>
  filters?: FilterOptions
}

interface DatasetFiles {
  name: string
  format: 'atomic' | 'csv' | 'tsv'
  inter: string
  item?: string
  user?: string
}

/**
 * Loads interactions from a RecBole dataset folder (`<dir>/<basename(dir)>.inter`, plus
 * `.item`/`.user` beside it when present), an `.inter` file, or a `.csv`/`.tsv` file; filters them
 * (`options.filters`: rating ≥ ratingMin, then dedupe, then iterative k-core) and numbers users
 * and items 0… in order of first appearance. Items only in the `.item` file get no id.
 *
 * @throws LlminitError `ERR_LLMINIT_DATA` (message `file:line (column "…"): …`) for malformed
 *   input, `ERR_LLMINIT_IO` when a file cannot be read, `ERR_LLMINIT_INVALID_OPTION` for bad options.
 */
export async function loadInteractions(path: string, options: LoadOptions = {}): Promise<Interactions> {
  validateFilters(options.filters)
  const files = await locate(path, options.format)
  let raw: RawInteractions
  if (files.format === 'atomic') raw = await readAtomicInteractions(files.inter, options.columns)
  else raw = await readDelimitedInteractions(files.inter, files.format === 'csv' ? CSV_FORMAT : TSV_FORMAT, options.columns)

  const rows = filterRows(raw, options.filters)
  if (rows !== undefined && rows.length === 0) {
    throw new LlminitError('ERR_LLMINIT_DATA', `${files.inter}: no interactions left after the filters ${JSON.stringify(options.filters)}`)
  }
  const dense = remapDense(raw, rows)
  const [itemTable, userTable] = await Promise.all([
    files.item === undefined ? undefined : readAtomicTable(files.item, raw.columns.item),
    files.user === undefined ? undefined : readAtomicTable(files.user, raw.columns.user),
  ])
  const result: Interactions = {
    name: files.name,
    files: [files.inter, files.item, files.user].filter((f): f is string => f !== undefined),
    ...dense,
  }
  if (itemTable) result.itemTable = itemTable
  if (userTable) result.userTable = userTable
  return result
}

async function locate(path: string, format: LoadOptions['format']): Promise<DatasetFiles> {
  if (format !== undefined && format !== 'atomic' && format !== 'csv' && format !== 'tsv') {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `format must be atomic, csv or tsv, got ${String(format)}`)
  }
  const info = await statOrUndefined(path)
  if (info === undefined) throw new LlminitError('ERR_LLMINIT_IO', `${path}: no such file or folder`)
  if (info.isDirectory()) {
    if (format !== undefined && format !== 'atomic') {
      throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${path}: a folder is read as RecBole atomic files, not ${format}`)
    }
    const name = basename(path)
    const inter = join(path, `${name}.inter`)
    if ((await statOrUndefined(inter))?.isFile() !== true) {
      throw new LlminitError('ERR_LLMINIT_IO', `${path}: a RecBole dataset folder must contain ${name}.inter`)
    }
    return { name, format: 'atomic', inter, ...(await siblings(path, name)) }
  }
  const ext = extname(path).toLowerCase()
  const name = basename(path, extname(path))
  const detected = ext === '.inter' ? 'atomic' : ext === '.csv' ? 'csv' : ext === '.tsv' || ext === '.tab' ? 'tsv' : undefined
  const chosen = format ?? detected
  if (chosen === undefined) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `${path}: cannot tell the format from "${ext}"; pass format: 'atomic' | 'csv' | 'tsv'`)
  }
  if (chosen === 'atomic' && ext === '.inter') return { name, format: chosen, inter: path, ...(await siblings(dirname(path), name)) }
  return { name, format: chosen, inter: path }
}

async function siblings(dir: string, name: string): Promise<{ item?: string; user?: string }> {
  const found: { item?: string; user?: string } = {}
  const item = join(dir, `${name}.item`)
  const user = join(dir, `${name}.user`)
  if ((await statOrUndefined(item))?.isFile()) found.item = item
  if ((await statOrUndefined(user))?.isFile()) found.user = user
  return found
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path)
  } catch {
    return undefined
  }
}
