/**
 * Item text templates: `"{title}. {categories}. {brand}"` names `.item` columns in braces (`{{` and
 * `}}` stand for literal braces). Rendering drops an empty field together with the separator that
 * follows it, so an item without a title reads `"Beauty, Makeup. COKA"`, not `". Beauty, Makeup.
 * COKA"`; an item whose every field is empty has no text at all (see `MissingTextPolicy`).
 */
import { DataType, type Table } from 'apache-arrow'
import { LlminitError } from '../errors.js'

export interface TextTemplate {
  /** The template as written (it is part of the cache key). */
  source: string
  /** Column names in order of appearance (a name may repeat). */
  fields: string[]
  /** `fields.length + 1` literal pieces: before the first field, between fields, after the last. */
  literals: string[]
}

function templateError(source: string, why: string): LlminitError {
  return new LlminitError('ERR_LLMINIT_INVALID_OPTION', `text template ${JSON.stringify(source)}: ${why}`)
}

/** Parses `source`; at least one `{field}` is required. */
export function parseTemplate(source: string): TextTemplate {
  const fields: string[] = []
  const literals: string[] = []
  let literal = ''
  for (let k = 0; k < source.length; k++) {
    const c = source[k]
    if ((c === '{' || c === '}') && source[k + 1] === c) {
      literal += c
      k++
    } else if (c === '{') {
      const end = source.indexOf('}', k + 1)
      if (end < 0) throw templateError(source, `unclosed "{" at position ${k}`)
      const name = source.slice(k + 1, end).trim()
      if (name === '' || name.includes('{')) throw templateError(source, `bad field name at position ${k} (write {column}; {{ and }} for literal braces)`)
      fields.push(name)
      literals.push(literal)
      literal = ''
      k = end
    } else if (c === '}') {
      throw templateError(source, `unmatched "}" at position ${k} (write }} for a literal brace)`)
    } else {
      literal += c
    }
  }
  literals.push(literal)
  if (fields.length === 0) throw templateError(source, 'no {field}: name at least one column of the .item file')
  return { source, fields, literals }
}

/** Throws, naming the first unknown field and the columns there are. */
export function checkTemplateFields(template: TextTemplate, columns: readonly string[], file: string): void {
  const unknown = template.fields.find((f) => !columns.includes(f))
  if (unknown !== undefined) {
    throw new LlminitError(
      'ERR_LLMINIT_INVALID_OPTION',
      `text template ${JSON.stringify(template.source)}: field "${unknown}" is not a column of ${file} (columns: ${columns.join(', ')})`,
    )
  }
}

/**
 * The item's text, or `''` when every field is empty. Values are trimmed; an empty field and the
 * separator after it are left out (the last kept field is followed by the template's tail).
 */
export function renderTemplate(template: TextTemplate, value: (field: string) => string): string {
  const { fields, literals } = template
  let body = ''
  let pendingSeparator = ''
  for (let k = 0; k < fields.length; k++) {
    const v = value(fields[k]).trim()
    if (v === '') continue
    body += (body === '' ? '' : pendingSeparator) + v
    pendingSeparator = literals[k + 1]
  }
  return body === '' ? '' : (literals[0] + body + literals[fields.length]).trim()
}

/**
 * The default template of an `.item` table: its text-like columns joined with `". "`. Text-like
 * means `token_seq` columns, and `token` columns other than the id that are neither numbers
 * (at least 90% of the values: a year, a code) nor distinct on every row (another identifier, such as Amazon's `asin`).
 * Amazon Office → `"{text}"`; Amazon Beauty → `"{title}. {categories}. {brand}"`; MovieLens →
 * `"{movie_title}. {class}"`.
 */
export function defaultTemplate(table: Table, idColumn: string, file: string): string {
  const chosen: string[] = []
  for (const field of table.schema.fields) {
    if (field.name === idColumn || !DataType.isUtf8(field.type)) continue
    const type = field.metadata.get('recbole_type')
    if (type === 'token_seq') chosen.push(field.name)
    else if (type === 'token' && isDescriptive(table, field.name)) chosen.push(field.name)
  }
  if (chosen.length === 0) {
    throw new LlminitError(
      'ERR_LLMINIT_DATA',
      `${file}: no text-like column for a default text template (columns: ${table.schema.fields.map((f) => f.name).join(', ')}); pass a template such as "{name}"`,
    )
  }
  return chosen.map((name) => `{${name}}`).join('. ')
}

function isDescriptive(table: Table, name: string): boolean {
  const column = table.getChild(name)
  if (column === null) return false
  const distinct = new Set<string>()
  let nonEmpty = 0
  let numbers = 0
  for (let r = 0; r < column.length; r++) {
    const v = String(column.get(r) ?? '').trim()
    if (v === '') continue
    nonEmpty++
    if (/^[+-]?\d+(\.\d+)?$/.test(v)) numbers++
    distinct.add(v)
  }
  const identifier = nonEmpty > 1 && distinct.size === nonEmpty
  // "Mostly": real columns have stray values (MovieLens' release_year holds "unkonwn" and "V").
  const numeric = numbers >= 0.9 * nonEmpty
  return nonEmpty > 0 && !numeric && !identifier
}
