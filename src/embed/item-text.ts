/**
 * The text of each item of a dataset, from its `.item` table through a text template. Items that
 * are not in the `.item` file, or whose template fields are all empty, have no text; what happens
 * to them is the missing-text policy of `embedItems`.
 */
import type { Table } from 'apache-arrow'
import { dataError } from '../errors.js'
import { checkTemplateFields, defaultTemplate, parseTemplate, renderTemplate } from './template.js'

export const MISSING_TEXT_POLICIES = ['error', 'zero'] as const
/** `error`: fail naming the first item without text; `zero`: give it a zero vector and warn. */
export type MissingTextPolicy = (typeof MISSING_TEXT_POLICIES)[number]

export interface ItemTexts {
  /** Raw item ids, in the order given. */
  ids: string[]
  /** One text per id; `''` when the item has no text. */
  texts: string[]
  /** The template used (the default one when none was given). */
  template: string
}

/**
 * Renders `template` (default: `defaultTemplate`) for every id of `itemIds` from `itemTable`
 * (an `.item` file read by `loadInteractions`, keyed by `idColumn`, default `item_id`).
 *
 * @throws LlminitError `ERR_LLMINIT_DATA` when there is no `.item` table or it has no id column,
 *   `ERR_LLMINIT_INVALID_OPTION` for a malformed template or one naming an unknown column.
 */
export function itemTexts(itemIds: readonly string[], itemTable: Table | undefined, file: string, options: { template?: string; idColumn?: string } = {}): ItemTexts {
  if (itemTable === undefined) throw dataError(file, undefined, 'the dataset has no .item file to take item text from')
  const idColumn = options.idColumn ?? 'item_id'
  const columns = itemTable.schema.fields.map((f) => f.name)
  const ids = itemTable.getChild(idColumn)
  if (ids === null) throw dataError(file, 1, `no id column (columns: ${columns.join(', ')})`, idColumn)
  const source = options.template ?? defaultTemplate(itemTable, idColumn, file)
  const template = parseTemplate(source)
  checkTemplateFields(template, columns, file)

  const rowOf = new Map<string, number>()
  for (let r = 0; r < ids.length; r++) {
    const id = String(ids.get(r))
    if (!rowOf.has(id)) rowOf.set(id, r)
  }
  const values = new Map(template.fields.map((f) => [f, itemTable.getChild(f)!]))
  const texts = itemIds.map((id) => {
    const row = rowOf.get(id)
    if (row === undefined) return ''
    return renderTemplate(template, (field) => {
      const v: unknown = values.get(field)!.get(row)
      return v === null || v === undefined ? '' : String(v)
    })
  })
  return { ids: [...itemIds], texts, template: source }
}
