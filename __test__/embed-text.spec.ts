/**
 * Item text: templates (parsing, rendering with empty fields, the default template of the shared
 * datasets), and the missing-text policy of `embedItems` (through a local fake endpoint).
 */
import test from 'ava'
import { fileURLToPath } from 'node:url'
import { readAtomicTable } from '../src/data/atomic.js'
import { loadInteractions } from '../src/data/index.js'
import { embedItems } from '../src/embed/embed-items.js'
import { itemTexts } from '../src/embed/item-text.js'
import { defaultTemplate, parseTemplate, renderTemplate } from '../src/embed/template.js'
import { fakeVector, startFakeServer } from './embed-server.js'
import { tempDir } from './helpers.js'

const SHOP = fileURLToPath(new URL('./fixtures/embed-text/shop', import.meta.url))
const SHARED = fileURLToPath(new URL('../../shared/data', import.meta.url))

test('parseTemplate: fields, literals, escaped braces', (t) => {
  const tpl = parseTemplate('{{x}} {title} / {brand}!')
  t.deepEqual(tpl.fields, ['title', 'brand'])
  t.deepEqual(tpl.literals, ['{x} ', ' / ', '!'])
})

test('parseTemplate: malformed templates are errors that say where', (t) => {
  t.throws(() => parseTemplate('{title'), { code: 'ERR_LLMINIT_INVALID_OPTION', message: /unclosed "\{" at position 0/ })
  t.throws(() => parseTemplate('a } b {x}'), { message: /unmatched "\}" at position 2/ })
  t.throws(() => parseTemplate('{}'), { message: /bad field name at position 0/ })
  t.throws(() => parseTemplate('no fields'), { message: /no \{field\}/ })
})

test('renderTemplate drops an empty field with the separator after it', (t) => {
  const tpl = parseTemplate('{title}. {categories}. {brand}')
  const row = (v: Record<string, string>) => (f: string) => v[f] ?? ''
  t.is(renderTemplate(tpl, row({ title: 'Pen', categories: 'Office', brand: 'Acme' })), 'Pen. Office. Acme')
  t.is(renderTemplate(tpl, row({ categories: 'Office', brand: 'Acme' })), 'Office. Acme')
  t.is(renderTemplate(tpl, row({ title: 'Pen', brand: 'Acme' })), 'Pen. Acme')
  t.is(renderTemplate(tpl, row({ title: 'Pen', categories: 'Office' })), 'Pen. Office')
  t.is(renderTemplate(tpl, row({ title: '  ' })), '')
  t.is(renderTemplate(parseTemplate('Item: {title} ({brand})'), row({ title: 'Pen' })), 'Item: Pen)') // the tail follows the last kept field
})

test('default template: the text-like columns of the shared datasets', async (t) => {
  const office = await readAtomicTable(`${SHARED}/amazon-office/amazon-office.item`, 'item_id')
  t.is(defaultTemplate(office, 'item_id', 'office'), '{text}') // asin is distinct per item: an identifier
  const beauty = await readAtomicTable(`${SHARED}/amazon-beauty/amazon-beauty.item`, 'item_id')
  t.is(defaultTemplate(beauty, 'item_id', 'beauty'), '{title}. {categories}. {brand}') // price, sales_rank are floats
  const ml = await readAtomicTable(`${SHARED}/ml-100k/ml-100k.item`, 'item_id')
  t.is(defaultTemplate(ml, 'item_id', 'ml'), '{movie_title}. {class}') // release_year is numbers but for two stray values
})

test('itemTexts: in the order asked, empty for items without text or without an .item row', async (t) => {
  const data = await loadInteractions(SHOP)
  t.deepEqual(data.itemIds, ['i1', 'i2', 'i3', 'i4', 'i5'])
  const texts = itemTexts(data.itemIds, data.itemTable, 'shop.item')
  t.is(texts.template, '{title}. {categories}. {brand}')
  t.deepEqual(texts.texts, ['Red Pen. Office, Pens. Acme', 'Office, Paper. Acme', 'Stapler. Bolt', '', ''])
  t.deepEqual(itemTexts(['i3', 'i1'], data.itemTable, 'shop.item', { template: '{brand}: {title} ({price})' }).texts, ['Bolt: Stapler)', 'Acme: Red Pen (1.5)'])
})

test('itemTexts: an unknown template field is an error naming the field and the columns', async (t) => {
  const data = await loadInteractions(SHOP)
  t.throws(() => itemTexts(data.itemIds, data.itemTable, 'shop.item', { template: '{title} {colour}' }), {
    code: 'ERR_LLMINIT_INVALID_OPTION',
    message: /field "colour" is not a column of shop\.item \(columns: item_id, sku, title, categories, brand, price\)/,
  })
})

test('missing text, policy error (the default): fails naming the first item without text', async (t) => {
  const server = await startFakeServer(t)
  await t.throwsAsync(embedItems({ data: SHOP, endpoint: server.url, endpointModel: 'fake', cache: false }), {
    code: 'ERR_LLMINIT_DATA',
    message: /shop\.item: item id "i4" \(and 1 other item\(s\)\) has no text under the template "\{title\}\. \{categories\}\. \{brand\}"/,
  })
  t.is(server.received.length, 0, 'nothing was sent')
})

test('missing text, policy zero: zero vectors and a warning; the others embedded', async (t) => {
  const server = await startFakeServer(t, { dim: 4 })
  const warnings: string[] = []
  const emb = await embedItems({ data: SHOP, endpoint: server.url, endpointModel: 'fake', missingText: 'zero', cacheDir: await tempDir(t), onWarning: (w) => warnings.push(w) })
  t.deepEqual(emb.ids, ['i1', 'i2', 'i3', 'i4', 'i5'])
  t.is(emb.dim, 4)
  t.deepEqual(Array.from(emb.vectors.subarray(12, 20)), [0, 0, 0, 0, 0, 0, 0, 0])
  t.deepEqual(Array.from(emb.vectors.subarray(4, 8)), Array.from(new Float32Array(fakeVector('Office, Paper. Acme', 4))))
  t.deepEqual(server.texts().sort(), ['Office, Paper. Acme', 'Red Pen. Office, Pens. Acme', 'Stapler. Bolt'])
  t.is(emb.summary.missingText, 2)
  t.is(warnings.length, 1)
  t.regex(warnings[0], /2 item\(s\) without text .* get a zero vector \(first: item id "i4"\)/)
})
