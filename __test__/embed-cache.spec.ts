/**
 * The embedding cache: keys, hits and misses across runs, invalidation when the template or the
 * source changes, the atomic Arrow IPC file; and the output files of `writeEmbeddings`, read back
 * by `readEmbeddings`.
 */
import test from 'ava'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EmbeddingCache, defaultCacheDir, itemKey } from '../src/embed/cache.js'
import { embedItems } from '../src/embed/embed-items.js'
import { readEmbeddings } from '../src/embed/index.js'
import { writeEmbeddings } from '../src/embed/write.js'
import { startFakeServer } from './embed-server.js'
import { tempDir } from './helpers.js'

const SHOP = fileURLToPath(new URL('./fixtures/embed-text/shop', import.meta.url))
const SOURCE = { endpointModel: 'fake', missingText: 'zero' } as const

test('itemKey: identity key order does not matter; identity, template and text all do', (t) => {
  const base = itemKey({ model: 'a', pooling: 'mean' }, '{title}', 'Red Pen')
  t.regex(base, /^[0-9a-f]{64}$/)
  t.is(itemKey({ pooling: 'mean', model: 'a' }, '{title}', 'Red Pen'), base)
  t.not(itemKey({ model: 'a', pooling: 'cls' }, '{title}', 'Red Pen'), base)
  t.not(itemKey({ model: 'a', pooling: 'mean' }, '{title}.', 'Red Pen'), base)
  t.not(itemKey({ model: 'a', pooling: 'mean' }, '{title}', 'Red pen'), base)
})

test('defaultCacheDir: LLMINIT_CACHE_DIR, then XDG_CACHE_HOME/llminit, then ~/.cache/llminit', (t) => {
  t.is(defaultCacheDir({ LLMINIT_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }), '/c')
  t.is(defaultCacheDir({ XDG_CACHE_HOME: '/x' }), join('/x', 'llminit'))
  t.regex(defaultCacheDir({}), /[/\\]\.cache[/\\]llminit$/)
})

test('a second run embeds nothing; a changed template embeds again, and switching back hits', async (t) => {
  const server = await startFakeServer(t, { dim: 4 })
  const cacheDir = await tempDir(t)
  const first = await embedItems({ data: SHOP, endpoint: server.url, ...SOURCE, cacheDir })
  t.is(first.summary.embedded, 3)
  t.is(first.summary.cacheHits, 0)
  t.is(server.texts().length, 3)

  const second = await embedItems({ data: SHOP, endpoint: server.url, ...SOURCE, cacheDir })
  t.is(second.summary.embedded, 0)
  t.is(second.summary.cacheHits, 3)
  t.is(server.texts().length, 3, 'nothing sent')
  t.deepEqual(second.vectors, first.vectors)

  const other = await embedItems({ data: SHOP, endpoint: server.url, ...SOURCE, cacheDir, template: '{brand}: {title}' })
  t.is(other.summary.embedded, 3)
  t.deepEqual(server.texts().slice(3).sort(), ['Acme', 'Acme: Red Pen', 'Bolt: Stapler'])
  t.notDeepEqual(other.vectors, first.vectors)

  const back = await embedItems({ data: SHOP, endpoint: server.url, ...SOURCE, cacheDir })
  t.is(back.summary.cacheHits, 3)
  t.is(server.texts().length, 6)
})

test('a different source (model name) never reuses vectors; cache: false neither reads nor writes', async (t) => {
  const server = await startFakeServer(t, { dim: 4 })
  const cacheDir = await tempDir(t)
  await embedItems({ data: SHOP, endpoint: server.url, ...SOURCE, cacheDir })
  const renamed = await embedItems({ data: SHOP, endpoint: server.url, ...SOURCE, endpointModel: 'fake-2', cacheDir })
  t.is(renamed.summary.cacheHits, 0)
  t.is(renamed.summary.embedded, 3)
  t.is((await readdir(cacheDir)).filter((f) => f.endsWith('.arrow')).length, 2, 'one file per source')

  const uncached = await embedItems({ data: SHOP, endpoint: server.url, ...SOURCE, cache: false })
  t.is(uncached.summary.cacheHits, 0)
  t.is(uncached.summary.cacheFile, undefined)
})

test('the cache file is Arrow IPC, written whole through a temporary sibling (none left behind)', async (t) => {
  const dir = await tempDir(t)
  const identity = { source: 'test' }
  const cache = await EmbeddingCache.open(dir, identity)
  t.false(await cache.save(), 'nothing to write')
  cache.put('k1', new Float32Array([1, 2]))
  cache.put('k2', new Float32Array([3, 4]))
  t.true(await cache.save())
  t.deepEqual(await readdir(dir), [cache.file.slice(dir.length + 1)])
  const bytes = await readFile(cache.file)
  t.is(bytes.subarray(0, 6).toString('latin1'), 'ARROW1', 'Arrow IPC file magic')

  const reopened = await EmbeddingCache.open(dir, identity)
  t.is(reopened.size, 2)
  t.deepEqual(Array.from(reopened.get('k2')!), [3, 4])
  t.throws(() => reopened.put('k3', new Float32Array([1, 2, 3])), { code: 'ERR_LLMINIT_DATA', message: /a vector of length 3 for a cache of length 2/ })
})

test('a damaged cache file is an error naming the file (and how to rebuild it)', async (t) => {
  const dir = await tempDir(t)
  const cache = await EmbeddingCache.open(dir, { source: 'test' })
  await writeFile(cache.file, 'not arrow')
  await t.throwsAsync(EmbeddingCache.open(dir, { source: 'test' }), { code: 'ERR_LLMINIT_DATA', message: new RegExp(`${cache.file.replace(/[.\\]/g, '\\$&')}: unreadable embedding cache .*delete the file`) })
})

test('writeEmbeddings: Parquet, Arrow IPC (file and stream) and JSONL read back identically', async (t) => {
  const dir = await tempDir(t)
  const ids = ['b', '7', 'a']
  const vectors = new Float32Array([0.5, -1, 2, 1e-8, 3.25, -0.125])
  for (const name of ['e.parquet', 'e.arrow', 'e.arrows', 'e.jsonl']) {
    const path = join(dir, name)
    await writeEmbeddings(path, { ids, dim: 2, vectors })
    const back = await readEmbeddings(path)
    t.deepEqual(back.ids, ids, name)
    t.is(back.dim, 2, name)
    t.deepEqual(Array.from(back.vectors), Array.from(vectors), name)
  }
  t.deepEqual((await readdir(dir)).sort(), ['e.arrow', 'e.arrows', 'e.jsonl', 'e.parquet'], 'no temporary files left')
  await t.throwsAsync(writeEmbeddings(join(dir, 'e.csv'), { ids, dim: 2, vectors }), { code: 'ERR_LLMINIT_INVALID_OPTION', message: /cannot write embeddings as "\.csv"/ })
})
