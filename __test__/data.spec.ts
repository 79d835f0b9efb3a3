import test from 'ava'
import { fileURLToPath } from 'node:url'
import { LlminitError } from '../src/errors.js'
import { datasetStats, loadInteractions, splitInteractions } from '../src/data/index.js'
import type { InteractionPart, Interactions, Split } from '../src/data/index.js'
import { Xoshiro128 } from '../src/data/random.js'

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
const shared = (name: string) => fileURLToPath(new URL(`../../shared/data/${name}`, import.meta.url))

function column(data: Interactions, name: string): number[] {
  const child = data.table.getChild(name)
  if (child === null) throw new Error(`no column ${name}`)
  return Array.from(child.data[0].values as ArrayLike<number>)
}

/** Raw (user, item) pairs of a split part, for readable assertions. */
function pairs(data: Interactions, part: InteractionPart): string[] {
  return Array.from(part.users, (u, k) => `${data.userIds[u]}:${data.itemIds[part.items[k]]}`)
}

// ---------------------------------------------------------------------------------------------
// Parsing

test('atomic folder: values, dense ids in first-appearance order, raw maps, .item and .user', async (t) => {
  const data = await loadInteractions(fixture('tiny'))
  t.is(data.name, 'tiny')
  t.deepEqual(data.files.map((f) => f.split('/').pop()), ['tiny.inter', 'tiny.item', 'tiny.user'])
  t.deepEqual(data.userIds, ['u1', 'u2', 'u3'])
  t.deepEqual(data.itemIds, ['i2', 'i1', 'i3'])
  t.is(data.nUsers, 3)
  t.is(data.nItems, 3) // i9 is only in tiny.item: no id
  t.deepEqual(column(data, 'user'), [0, 0, 1, 0, 2, 1, 0])
  t.deepEqual(column(data, 'item'), [0, 1, 0, 2, 1, 1, 0])
  t.deepEqual(column(data, 'rating'), [3, 5, 4, 4, 2, 5, 1])
  t.deepEqual(column(data, 'timestamp'), [200, 100, 150, 50, 300, 10, 400])
  t.deepEqual(
    data.table.schema.fields.map((f) => `${f.name}:${f.type}`),
    ['user:Uint32', 'item:Uint32', 'rating:Float32', 'timestamp:Float64'],
  )
  for (const name of ['user', 'item', 'rating', 'timestamp']) {
    const child = data.table.getChild(name)!
    t.is(child.data.length, 1, `${name} is one chunk`)
    t.is(child.data[0].values.length, 7)
  }
  t.true(data.table.getChild('user')!.data[0].values instanceof Uint32Array)
  t.true(data.table.getChild('timestamp')!.data[0].values instanceof Float64Array)

  const items = data.itemTable!
  t.is(items.numRows, 4)
  t.deepEqual(
    items.schema.fields.map((f) => `${f.name}:${f.type}:${f.metadata.get('recbole_type')}`),
    ['item_id:Utf8:token', 'title:Utf8:token_seq', 'price:Float64:float', 'vec:Utf8:float_seq'],
  )
  t.deepEqual(items.get(0)!.toJSON(), { item_id: 'i1', title: 'The "Best" Lipstick', price: 9.5, vec: '0.1 0.2' })
  t.is(items.getChild('price')!.get(1), null)
  t.is(items.getChild('item_id')!.get(3), 'i9')
  t.is(data.userTable!.numRows, 3)
  t.is(data.userTable!.getChild('age')!.get(2), '40')
})

test('an .inter path finds its .item/.user siblings', async (t) => {
  const data = await loadInteractions(fixture('tiny/tiny.inter'))
  t.is(data.files.length, 3)
  t.is(data.itemTable!.numRows, 4)
  t.deepEqual(data.userIds, ['u1', 'u2', 'u3'])
})

test('CSV: quoted fields with commas and line breaks, user/item header aliases', async (t) => {
  const data = await loadInteractions(fixture('ratings.csv'))
  t.is(data.name, 'ratings')
  t.deepEqual(data.userIds, ['alice', 'bob', 'carol'])
  t.deepEqual(data.itemIds, ['apple', 'pear, green'])
  t.deepEqual(column(data, 'user'), [0, 1, 0, 2])
  t.deepEqual(column(data, 'item'), [0, 0, 1, 0])
  t.deepEqual(column(data, 'rating'), [4.5, 2, 3, 5])
  t.deepEqual(column(data, 'timestamp'), [1000, 1001, 1002, 999])
  t.is(data.itemTable, undefined)
})

test('TSV with a column mapping; no timestamp column means none in the table', async (t) => {
  const data = await loadInteractions(fixture('mapped.tsv'), { columns: { user: 'uid', item: 'iid', rating: 'score' } })
  t.deepEqual(data.userIds, ['x', 'y'])
  t.deepEqual(data.itemIds, ['p', 'q'])
  t.deepEqual(column(data, 'user'), [0, 1, 0])
  t.deepEqual(column(data, 'item'), [0, 1, 1])
  t.deepEqual(column(data, 'rating'), [1, 2, 3])
  t.is(data.table.getChild('timestamp'), null)
})

test('format option reads a file whose extension says nothing', async (t) => {
  await t.throwsAsync(loadInteractions(fixture('tiny/tiny.user')), { instanceOf: LlminitError, code: 'ERR_LLMINIT_INVALID_OPTION' } as never)
  const users = await loadInteractions(fixture('tiny/tiny.user'), { format: 'atomic', columns: { item: 'age' } })
  t.deepEqual(users.itemIds, ['20', '30', '40'])
})

// ---------------------------------------------------------------------------------------------
// Filters

test('ratingMin keeps rating >= threshold and renumbers by first appearance among the kept', async (t) => {
  const data = await loadInteractions(fixture('tiny'), { filters: { ratingMin: 4 } })
  // Kept rows 2, 3, 4, 6 of the file: (u1,i1,5) (u2,i2,4) (u1,i3,4) (u2,i1,5).
  t.deepEqual(data.userIds, ['u1', 'u2'])
  t.deepEqual(data.itemIds, ['i1', 'i2', 'i3'])
  t.deepEqual(column(data, 'user'), [0, 1, 0, 1])
  t.deepEqual(column(data, 'item'), [0, 1, 2, 0])
  t.deepEqual(column(data, 'rating'), [5, 4, 4, 5])
  t.deepEqual(column(data, 'timestamp'), [100, 150, 50, 10])
  t.is(data.nItems, 3)
})

test('dedupe keeps the first (user, item) occurrence in file order', async (t) => {
  const all = await loadInteractions(fixture('tiny'))
  const data = await loadInteractions(fixture('tiny'), { filters: { dedupe: true } })
  t.is(all.table.numRows, 7)
  t.is(data.table.numRows, 6)
  // The second u1/i2 (rating 1, time 400) goes; the first (rating 3, time 200) stays.
  t.deepEqual(column(data, 'rating'), [3, 5, 4, 4, 2, 5])
  t.deepEqual(column(data, 'timestamp'), [200, 100, 150, 50, 300, 10])
})

test('iterative k-core removes what falls below k after earlier removals', async (t) => {
  // kcore.csv, k = 2. Degrees: users a2 b3 c1 d2 e2, items x3 y3 z2 w1 v1.
  // Round 1 drops c, w, v (and rows c-z, d-w, e-v): now d1, e1, z1.
  // Round 2 drops d, e, z: a-x a-y b-x b-y remain, all of degree 2.
  const data = await loadInteractions(fixture('kcore.csv'), { filters: { kCore: 2 } })
  t.deepEqual(data.userIds, ['a', 'b'])
  t.deepEqual(data.itemIds, ['x', 'y'])
  const rows = { users: data.table.getChild('user')!.data[0].values, items: data.table.getChild('item')!.data[0].values }
  t.deepEqual(pairs(data, rows), ['a:x', 'a:y', 'b:x', 'b:y'])
  const once = await loadInteractions(fixture('kcore.csv'), { filters: { kCore: 1 } })
  t.is(once.table.numRows, 10)
})

test('invalid filter options are rejected', async (t) => {
  await t.throwsAsync(loadInteractions(fixture('tiny'), { filters: { kCore: 1.5 } }), { message: /kCore/ })
  await t.throwsAsync(loadInteractions(fixture('tiny'), { filters: { ratingMin: Number.NaN } }), { message: /ratingMin/ })
})

// ---------------------------------------------------------------------------------------------
// Errors: each names the file and the 1-based line (header = line 1)

const dataErrors: [string, string, RegExp][] = [
  ['errors/bad-header.inter', 'bad-header.inter:1', /column "item_id".*not name:type/],
  ['errors/unknown-type.inter', 'unknown-type.inter:1', /unknown type "tokn"/],
  ['errors/wrong-columns.inter', 'wrong-columns.inter:3', /expected 3 fields like the header, got 2/],
  ['errors/bad-rating.inter', 'bad-rating.inter:4', /column "rating".*not a finite number: "five"/],
  ['errors/bad-timestamp.inter', 'bad-timestamp.inter:2', /column "timestamp".*not a finite number: ""/],
  ['errors/bad-rating.csv', 'bad-rating.csv:4', /column "rating".*"x"/],
  ['errors/empty.inter', 'empty.inter:1', /empty file/],
  ['errors/header-only.inter', 'header-only.inter:2', /no rows after the header/],
  ['errors/missing-column.inter', 'missing-column.inter:1', /column "item_id".*missing item column/],
  ['bad-item', 'bad-item.item:3', /column "price".*"cheap"/],
]
for (const [file, where, what] of dataErrors) {
  test(`data error: ${file}`, async (t) => {
    const err = await t.throwsAsync(loadInteractions(fixture(file)), { instanceOf: LlminitError })
    t.is(err.code, 'ERR_LLMINIT_DATA')
    t.true(err.message.includes(where), err.message)
    t.regex(err.message, what)
  })
}

test('data error: a named column that is absent', async (t) => {
  const err = await t.throwsAsync(loadInteractions(fixture('tiny'), { columns: { rating: 'stars' } }), { instanceOf: LlminitError })
  t.true(err.message.includes('tiny.inter:1'), err.message)
  t.regex(err.message, /column "stars"/)
})

test('data error: ratingMin without a rating column', async (t) => {
  const err = await t.throwsAsync(loadInteractions(fixture('kcore.csv'), { filters: { ratingMin: 4 } }), { instanceOf: LlminitError })
  t.is(err.code, 'ERR_LLMINIT_DATA')
  t.true(err.message.includes('kcore.csv:1'), err.message)
  t.regex(err.message, /rating/)
})

test('a missing path is an I/O error naming it', async (t) => {
  const err = await t.throwsAsync(loadInteractions(fixture('nope')), { instanceOf: LlminitError })
  t.is(err.code, 'ERR_LLMINIT_IO')
  t.true(err.message.includes('nope'))
})

// ---------------------------------------------------------------------------------------------
// Splits

/** Checks the invariants every split must hold, and returns each user's parts by row. */
function checkSplit(t: import('ava').ExecutionContext, data: Interactions, split: Split) {
  const users = column(data, 'user')
  const items = column(data, 'item')
  const byUser = new Map<number, { train: number[]; valid: number[]; test: number[] }>()
  for (let u = 0; u < data.nUsers; u++) byUser.set(u, { train: [], valid: [], test: [] })
  for (const name of ['train', 'valid', 'test'] as const) {
    const part = split[name]
    t.is(part.items.length, part.users.length)
    t.is(part.rows!.length, part.users.length)
    for (let k = 0; k < part.users.length; k++) {
      if (k > 0 && part.users[k] < part.users[k - 1]) t.fail(`${name} is not ordered by user`)
      const row = part.rows![k]
      t.is(users[row], part.users[k])
      t.is(items[row], part.items[k])
      byUser.get(part.users[k])![name].push(row)
    }
  }
  const rowsOf = new Map<number, number[]>()
  users.forEach((u, row) => rowsOf.set(u, [...(rowsOf.get(u) ?? []), row]))
  for (const [u, parts] of byUser) {
    const all = rowsOf.get(u)!
    const union = [...parts.train, ...parts.valid, ...parts.test].sort((a, b) => a - b)
    t.deepEqual(union, all, `user ${data.userIds[u]}: parts are disjoint and cover the user's rows`)
  }
  return byUser
}

test('loo-random: one valid and one test per user with >= 3, the rest train; < 3 train only', async (t) => {
  const data = await loadInteractions(fixture('split.tsv'))
  const split = splitInteractions(data, { mode: 'loo-random', seed: 7 })
  const byUser = checkSplit(t, data, split)
  const counts = Object.fromEntries(
    [...byUser].map(([u, p]) => [data.userIds[u], [p.train.length, p.valid.length, p.test.length]]),
  )
  t.deepEqual(counts, { u0: [1, 0, 0], u1: [2, 0, 0], u3: [8, 1, 1], u2: [1, 1, 1], u4: [23, 1, 1] })
  t.deepEqual(datasetStats(data, split), { users: 5, items: 41, interactions: 41, density: 41 / (5 * 41), train: 35, valid: 3, test: 3 })
})

test('loo-random: same seed gives identical arrays, another seed different ones', async (t) => {
  const data = await loadInteractions(shared('ml-100k'))
  const a = splitInteractions(data, { mode: 'loo-random', seed: 2025 })
  const b = splitInteractions(data, { mode: 'loo-random', seed: 2025 })
  const c = splitInteractions(data, { mode: 'loo-random', seed: 2026 })
  for (const name of ['train', 'valid', 'test'] as const) {
    t.deepEqual(a[name].users, b[name].users)
    t.deepEqual(a[name].items, b[name].items)
  }
  t.notDeepEqual(a.test.items, c.test.items)
  t.notDeepEqual(a.train.items, c.train.items)
  // Random order, not file order: the test item is rarely the user's last in the file.
  const lastInFile = new Map<number, number>()
  const fileItems = column(data, 'item')
  column(data, 'user').forEach((u, row) => lastInFile.set(u, fileItems[row]))
  const same = Array.from(a.test.users).filter((u, k) => lastInFile.get(u) === a.test.items[k]).length
  t.true(same < data.nUsers * 0.2, `${same} users test on their last file row`)
})

test('loo-random: every interaction of a user can be drawn as test', async (t) => {
  const data = await loadInteractions(fixture('split.tsv'))
  const u4 = data.userIds.indexOf('u4')
  const drawn = new Set<number>()
  for (let seed = 0; seed < 300; seed++) {
    const split = splitInteractions(data, { mode: 'loo-random', seed })
    drawn.add(split.test.items[Array.from(split.test.users).indexOf(u4)])
  }
  t.is(drawn.size, 25)
})

test('loo-time: the latest interaction is test, the one before valid; ties keep file order', async (t) => {
  const data = await loadInteractions(fixture('split.tsv'))
  const split = splitInteractions(data, { mode: 'loo-time', seed: 0 })
  checkSplit(t, data, split)
  t.deepEqual(pairs(data, split.test), ['u3:t3', 'u2:a', 'u4:x00'])
  t.deepEqual(pairs(data, split.valid), ['u3:t1', 'u2:c', 'u4:x01'])
  // Train keeps the time order within a user.
  t.deepEqual(
    pairs(data, split.train).filter((p) => p.startsWith('u3:')),
    ['u3:t2', 'u3:t5', 'u3:t4', 'u3:t7', 'u3:t0', 'u3:t8', 'u3:t6', 'u3:t9'],
  )
  t.deepEqual(pairs(data, split.train).slice(0, 3), ['u0:z', 'u1:y1', 'u1:y2'])
  // The seed plays no part in a time-ordered split.
  t.deepEqual(splitInteractions(data, { mode: 'loo-time', seed: 99 }), split)
})

test('loo-time on ml-100k: test is no earlier than valid, valid no earlier than train', async (t) => {
  const data = await loadInteractions(shared('ml-100k'))
  const split = splitInteractions(data, { mode: 'loo-time', seed: 0 })
  const ts = column(data, 'timestamp')
  const latest = (part: InteractionPart) => {
    const m = new Map<number, number>()
    part.users.forEach((u, k) => m.set(u, Math.max(m.get(u) ?? -Infinity, ts[part.rows![k]])))
    return m
  }
  const train = latest(split.train)
  const valid = latest(split.valid)
  const test = latest(split.test)
  let bad = 0
  for (let u = 0; u < data.nUsers; u++) if (!(train.get(u)! <= valid.get(u)! && valid.get(u)! <= test.get(u)!)) bad++
  t.is(bad, 0)
  t.is(split.test.users.length, 943)
})

test('loo-time needs a timestamp column', async (t) => {
  const data = await loadInteractions(fixture('kcore.csv'))
  const err = t.throws(() => splitInteractions(data, { mode: 'loo-time', seed: 0 }), { instanceOf: LlminitError })
  t.true(err.message.includes('kcore.csv'))
})

test('ratio: floor(0.1 n) valid and test per user by default, configurable ratios', async (t) => {
  const data = await loadInteractions(fixture('split.tsv'))
  const count = (split: Split) => {
    const byUser = checkSplit(t, data, split)
    return Object.fromEntries([...byUser].map(([u, p]) => [data.userIds[u], [p.train.length, p.valid.length, p.test.length]]))
  }
  t.deepEqual(count(splitInteractions(data, { mode: 'ratio', seed: 1 })), {
    u0: [1, 0, 0], u1: [2, 0, 0], u3: [8, 1, 1], u2: [3, 0, 0], u4: [21, 2, 2],
  })
  t.deepEqual(count(splitInteractions(data, { mode: 'ratio', seed: 1, ratios: [0.6, 0.2, 0.2] })), {
    u0: [1, 0, 0], u1: [2, 0, 0], u3: [6, 2, 2], u2: [3, 0, 0], u4: [15, 5, 5],
  })
  t.throws(() => splitInteractions(data, { mode: 'ratio', seed: 1, ratios: [0.5, 0.1, 0.1] }), { message: /ratios/ })
  t.throws(() => splitInteractions(data, { mode: 'nope' as never, seed: 1 }), { message: /mode/ })
  t.throws(() => splitInteractions(data, { mode: 'ratio', seed: 0.5 }), { message: /seed/ })
})

test('datasetStats without a split', async (t) => {
  const data = await loadInteractions(fixture('tiny'))
  t.deepEqual(datasetStats(data), { users: 3, items: 3, interactions: 7, density: 7 / 9, train: 0, valid: 0, test: 0 })
})

/*
 * xoshiro128** reference outputs for the state {1, 2, 3, 4}, from the authors' C code
 * (https://prng.di.unimi.it/xoshiro128starstar.c) compiled with gcc:
 *   static uint32_t s[4] = {1, 2, 3, 4};
 *   for (int i = 0; i < 8; i++) printf("%u, ", next());
 */
test('the split generator is xoshiro128** bit for bit', (t) => {
  const rng = new Xoshiro128(1, 2, 3, 4)
  const out = Array.from({ length: 8 }, () => rng.nextUint32())
  t.deepEqual(out, [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849])
})

// ---------------------------------------------------------------------------------------------
// Real datasets (../shared/data beside the project root)

test('ml-100k: counts, columns, .item and .user', async (t) => {
  const data = await loadInteractions(shared('ml-100k'))
  t.deepEqual(datasetStats(data).users, 943)
  t.is(data.nItems, 1682)
  t.is(data.table.numRows, 100000)
  t.is(data.table.getChild('user')!.data[0].values.length, 100000)
  t.true(data.table.getChild('rating')!.data[0].values instanceof Float32Array)
  t.is(data.itemTable!.numRows, 1682)
  t.deepEqual(data.itemTable!.schema.names, ['item_id', 'movie_title', 'release_year', 'class'])
  t.is(data.userTable!.numRows, 943)
  t.deepEqual(data.userIds.slice(0, 3), ['196', '186', '22'])
})

/*
 * Expected counts from an independent round-based filter:
 *   rows = [l.rstrip('\n').split('\t') for l in open('ml-100k.inter')][1:]
 *   rows = [(u, i) for u, i, r, t in rows if float(r) >= 4]
 *   while True:
 *       du, di = Counter(u for u, _ in rows), Counter(i for _, i in rows)
 *       kept = [(u, i) for u, i in rows if du[u] >= 5 and di[i] >= 5]
 *       if len(kept) == len(rows): break
 *       rows = kept
 *   print(len(rows), len({u for u, _ in rows}), len({i for _, i in rows}))  # 54413 938 1008
 */
test('ml-100k with ratingMin 4 and kCore 5', async (t) => {
  const data = await loadInteractions(shared('ml-100k'), { filters: { ratingMin: 4, kCore: 5 } })
  t.true(data.table.numRows < 100000)
  t.deepEqual([data.table.numRows, data.nUsers, data.nItems], [54413, 938, 1008])
  t.true(column(data, 'rating').every((r) => r >= 4))
})

test('amazon-office: counts and item table', async (t) => {
  const data = await loadInteractions(shared('amazon-office'))
  const stats = datasetStats(data)
  t.deepEqual([stats.users, stats.items, stats.interactions], [4905, 2420, 53258])
  t.is(data.itemTable!.numRows, 2420)
  t.deepEqual(data.itemTable!.schema.names, ['item_id', 'asin', 'text'])
  t.is(data.table.getChild('rating'), null)
})

// Timings are logged for information only; speed is measured in benchmark/, not asserted here.
test('amazon-beauty: counts and item table', async (t) => {
  const start = performance.now()
  const data = await loadInteractions(shared('amazon-beauty'))
  const loaded = performance.now()
  const split = splitInteractions(data, { mode: 'loo-random', seed: 42 })
  const done = performance.now()
  t.log(`load ${(loaded - start).toFixed(0)} ms, split ${(done - loaded).toFixed(0)} ms`)
  const stats = datasetStats(data, split)
  t.deepEqual([stats.users, stats.items, stats.interactions], [22363, 12101, 198502])
  t.deepEqual([stats.valid, stats.test, stats.train], [22363, 22363, 198502 - 2 * 22363])
  t.is(data.itemTable!.numRows, 12101)
  t.deepEqual(data.itemTable!.schema.names, ['item_id', 'title', 'categories', 'brand', 'price', 'sales_rank'])
  t.is(String(data.itemTable!.getChild('price')!.type), 'Float64')
  t.true(data.itemTable!.getChild('price')!.nullCount > 0)
})
