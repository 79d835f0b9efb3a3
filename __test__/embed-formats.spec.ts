/**
 * Embedding readers for NumPy `.npy` (+ an id list) and the float_seq column of a RecBole `.item`
 * file: round-trips, float64 → float32, both sidecar forms, every error, and alignment.
 *
 * Fixtures in `fixtures/embed/` come from `make_format_fixtures.py` (numpy); every good file holds
 * items a…e (or 10…50) with value(row, j) = row + j/8, j < 4 — exact in float32.
 */
import test from 'ava'
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { alignEmbeddings, parseNpyHeader, readEmbeddings } from '../src/embed/index.js'
import { halfToFloat32 } from '../src/embed/half.js'
import { LlminitError } from '../src/errors.js'
import { tempDir } from './helpers.js'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/embed/${name}`, import.meta.url))

const IDS = ['a', 'b', 'c', 'd', 'e']
const NUM_IDS = ['10', '20', '30', '40', '50']
const DIM = 4
/** value(row, j) = row + j/8, the fixtures' rule. */
const expected = (rows = IDS.length, dim = DIM) => Float32Array.from({ length: rows * dim }, (_, k) => Math.floor(k / dim) + (k % dim) / 8)

const dataError = (...fragments: string[]) =>
  ({ instanceOf: LlminitError, code: 'ERR_LLMINIT_DATA', message: (m: string) => fragments.every((f) => m.includes(f)) }) as never

// ---------------------------------------------------------------------------------------------
// .npy

test('.npy <f4 (v1.0) with <name>.ids.txt round-trips', async (t) => {
  const emb = await readEmbeddings(fixture('items.npy'))
  t.is(emb.file, fixture('items.npy'))
  t.deepEqual(emb.ids, IDS)
  t.is(emb.dim, DIM)
  t.true(emb.vectors instanceof Float32Array)
  t.deepEqual(emb.vectors, expected())
})

test('.npy <f8 is converted to Float32Array; ids from <name>.ids.json (numbers → base-10 strings)', async (t) => {
  const emb = await readEmbeddings(fixture('items64.npy'))
  t.deepEqual(emb.ids, NUM_IDS)
  t.is(emb.dim, DIM)
  t.true(emb.vectors instanceof Float32Array)
  t.deepEqual(emb.vectors, expected())
})

test('.npy <f2 (float16) is widened exactly to Float32Array', async (t) => {
  const emb = await readEmbeddings(fixture('items16.npy'))
  t.deepEqual(emb.ids, IDS)
  t.deepEqual(emb.vectors, expected())
})

test('halfToFloat32: normals, subnormals, signed zero, infinities, NaN', (t) => {
  // 0x3c00 = 1, 0xc000 = −2, 0x7bff = 65504 (largest), 0x0001 = 2^-24 (smallest subnormal),
  // 0x0400 = 2^-14 (smallest normal), 0x3555 ≈ 1/3, 0x8000 = −0, 0x7c00 = +∞, 0xfc00 = −∞, 0x7e00 = NaN.
  const out = halfToFloat32(Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x3555, 0x8000, 0x7c00, 0xfc00, 0x7e00]))
  t.deepEqual(Array.from(out.subarray(0, 5)), [1, -2, 65504, 2 ** -24, 2 ** -14])
  t.is(out[5], (1 + 341 / 1024) / 4) // 0x3555: exponent −2, fraction 0x155 = 341
  t.true(Object.is(out[6], -0))
  t.deepEqual([out[7], out[8]], [Infinity, -Infinity])
  t.true(Number.isNaN(out[9]))
})

test('.npy format versions 2.0 and 3.0, ids from an explicit idsPath', async (t) => {
  for (const name of ['items_v2.npy', 'items_v3.npy']) {
    const emb = await readEmbeddings(fixture(name), { idsPath: fixture('items.ids.txt') })
    t.deepEqual(emb.ids, IDS, name)
    t.deepEqual(emb.vectors, expected(), name)
  }
  const buf = await readFile(fixture('items_v3.npy'))
  t.like(parseNpyHeader(buf, 'x.npy'), { version: [3, 0], descr: '<f4', fortranOrder: false, shape: [5, 4] })
})

test('.npy: explicit idsPath as JSON with string ids; CRLF text ids', async (t) => {
  const dir = await tempDir(t)
  const json = join(dir, 'ids.json')
  await writeFile(json, JSON.stringify(['x1', 'x2', 3, 'x4', 'x5']))
  t.deepEqual((await readEmbeddings(fixture('items.npy'), { idsPath: json })).ids, ['x1', 'x2', '3', 'x4', 'x5'])
  const txt = join(dir, 'ids.list')
  await writeFile(txt, 'p\r\nq\r\nr\r\ns\r\nt\r\n')
  t.deepEqual((await readEmbeddings(fixture('items.npy'), { idsPath: txt })).ids, ['p', 'q', 'r', 's', 't'])
})

test('.npy data is read even when the file bytes are not 4-byte aligned in the buffer', async (t) => {
  // A header length not a multiple of 4 (hand-written v1.0 header, as old writers produced).
  const dir = await tempDir(t)
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 4), }\n"
  const prefix = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0])
  const file = join(dir, 'odd.npy')
  await writeFile(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(expected().buffer)]))
  t.not((prefix.length + header.length) % 4, 0)
  const emb = await readEmbeddings(file, { idsPath: fixture('items.ids.txt') })
  t.deepEqual(emb.vectors, expected())
})

test('.npy errors name the file: magic, dtype, byte order, fortran_order, 1-D, truncated', async (t) => {
  const ids = { idsPath: fixture('items.ids.txt') }
  const cases: [string, string[]][] = [
    ['bad_magic.npy', ['bad magic']],
    ['int32.npy', ['unsupported dtype', '<i4']],
    ['big_endian.npy', ['unsupported dtype', '>f4']],
    ['fortran.npy', ['fortran_order is True']],
    ['one_d.npy', ['shape (20,)', '2-D']],
    ['truncated.npy', ['truncated data', 'needs 80 bytes', 'has 74']],
  ]
  for (const [name, fragments] of cases) {
    await t.throwsAsync(readEmbeddings(fixture(name), ids), dataError(fixture(name), ...fragments), name)
  }
})

test('.npy errors: id count ≠ rows; missing sidecar names the files tried; both sidecars', async (t) => {
  await t.throwsAsync(readEmbeddings(fixture('short_ids.npy')), dataError(fixture('short_ids.npy'), '5 rows but 4 ids', fixture('short_ids.ids.txt')))
  await t.throwsAsync(
    readEmbeddings(fixture('no_sidecar.npy')),
    dataError(fixture('no_sidecar.npy'), fixture('no_sidecar.ids.txt'), fixture('no_sidecar.ids.json'), 'idsPath'),
  )
  const dir = await tempDir(t)
  const file = join(dir, 'both.npy')
  await copyFile(fixture('items.npy'), file)
  await copyFile(fixture('items.ids.txt'), join(dir, 'both.ids.txt'))
  await writeFile(join(dir, 'both.ids.json'), JSON.stringify(IDS))
  await t.throwsAsync(readEmbeddings(file), dataError(file, 'two id lists'))
  // A missing explicit idsPath is an I/O error naming both files.
  await t.throwsAsync(readEmbeddings(fixture('items.npy'), { idsPath: join(dir, 'nope.txt') }), {
    instanceOf: LlminitError,
    code: 'ERR_LLMINIT_IO',
    message: (m: string) => m.includes(fixture('items.npy')) && m.includes('nope.txt'),
  } as never)
  // A JSON id list that is not an array of strings/numbers.
  const bad = join(dir, 'bad.json')
  await writeFile(bad, JSON.stringify(['a', null]))
  await t.throwsAsync(readEmbeddings(fixture('items.npy'), { idsPath: bad }), dataError(bad, 'element 1'))
})

// ---------------------------------------------------------------------------------------------
// RecBole .item float_seq

test('.item: the only float_seq column, ids from item_id', async (t) => {
  const emb = await readEmbeddings(fixture('items.item'))
  t.deepEqual(emb.ids, IDS)
  t.is(emb.dim, DIM)
  t.deepEqual(emb.vectors, expected())
  // Named explicitly, with or without the type suffix.
  t.deepEqual((await readEmbeddings(fixture('items.item'), { vectorColumn: 'emb' })).vectors, expected())
  t.deepEqual((await readEmbeddings(fixture('items.item'), { vectorColumn: 'emb:float_seq' })).vectors, expected())
})

test('.item with two float_seq columns: choose with vectorColumn, custom idColumn', async (t) => {
  const file = fixture('two_seq.item')
  const a = await readEmbeddings(file, { vectorColumn: 'emb', idColumn: 'iid' })
  t.deepEqual(a.ids, NUM_IDS)
  t.deepEqual(a.vectors, expected())
  const b = await readEmbeddings(file, { vectorColumn: 'emb2', idColumn: 'iid' })
  t.is(b.dim, 2)
  t.deepEqual(b.vectors, expected(5, 2).map((v) => -v))
  await t.throwsAsync(readEmbeddings(file, { idColumn: 'iid' }), dataError(`${file}:1`, '2 float_seq columns (emb, emb2)', 'vectorColumn'))
  await t.throwsAsync(readEmbeddings(file, { idColumn: 'iid', vectorColumn: 'price' }), dataError(file, 'type float, expected float_seq'))
  await t.throwsAsync(readEmbeddings(file, { idColumn: 'iid', vectorColumn: 'nope' }), dataError(file, 'no vector column "nope"'))
  await t.throwsAsync(readEmbeddings(file, { vectorColumn: 'emb' }), dataError(file, 'no id column "item_id"'))
})

test('.item errors name file:line: non-numeric value, rows of different lengths', async (t) => {
  await t.throwsAsync(readEmbeddings(fixture('bad_value.item')), dataError(`${fixture('bad_value.item')}:4`, 'item id "c"', 'position 2', '"x"'))
  await t.throwsAsync(readEmbeddings(fixture('ragged.item')), dataError(`${fixture('ragged.item')}:5`, 'item id "d"', 'length 3, expected 4'))
})

// ---------------------------------------------------------------------------------------------
// Alignment

test('alignEmbeddings works on the .npy and .item readers’ output', async (t) => {
  const itemIds = ['e', 'a', 'c']
  const want = Float32Array.from([...expected().subarray(16, 20), ...expected().subarray(0, 4), ...expected().subarray(8, 12)])
  t.deepEqual(alignEmbeddings(await readEmbeddings(fixture('items.npy')), itemIds), want)
  t.deepEqual(alignEmbeddings(await readEmbeddings(fixture('items.item')), itemIds), want)
  const f64 = await readEmbeddings(fixture('items64.npy'))
  t.deepEqual(alignEmbeddings(f64, ['50', '10', '30']), want)
})
