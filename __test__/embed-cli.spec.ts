/**
 * `llminit embed` end to end (a child process running `dist/`: build it first), and `llminit
 * train` embedding the item text on the fly. Endpoint runs talk to a local fake server; the local
 * model run is skipped (never passed) when the shared model folder or the optional package is absent.
 */
import test from 'ava'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readEmbeddings } from '../src/embed/index.js'
import { startFakeServer } from './embed-server.js'
import { hasLocalModel, MINILM, ML100K, REPO_ROOT, runCli, tempDir } from './helpers.js'

const SHOP = fileURLToPath(new URL('./fixtures/embed-text/shop', import.meta.url))
const OFFICE = fileURLToPath(new URL('../../shared/data/amazon-office', import.meta.url))

const llminit = runCli

test.before('the CLI is built', (t) => {
  t.true(existsSync(join(REPO_ROOT, 'dist', 'cli', 'commands', 'embed.js')), 'dist/ is missing or stale: run npx tsc -p tsconfig.json')
})

test('embed --help lists the sources, the options and the output', async (t) => {
  const r = await llminit('embed', '--help')
  t.is(r.code, 0, r.stderr)
  for (const flag of ['--data <path>', '--out <file>', '--model-path <dir>', '--model <name>', '--endpoint <url>', '--endpoint-model <name>', '--template <text>', '--missing-text <policy>', '--batch-size <n>', '--limit <n>', '--cache-dir <dir>', '--no-cache', '--json']) {
    t.true(r.stdout.includes(`  ${flag} `), `embed --help lists ${flag}`)
  }
})

test('embed through an endpoint: a file --embeddings reads, a --json summary, and a cached re-run', async (t) => {
  const server = await startFakeServer(t, { dim: 6 })
  const dir = await tempDir(t)
  const out = join(dir, 'shop.parquet')
  const args = ['embed', '--data', SHOP, '--endpoint', server.url, '--endpoint-model', 'fake', '--missing-text', 'zero', '--cache-dir', join(dir, 'cache'), '--out', out, '--json']
  const r = await llminit(...args)
  t.is(r.code, 0, r.stderr)
  const summary = JSON.parse(r.stdout)
  t.like(summary, { out, items: 5, dim: 6, embedded: 3, cacheHits: 0, missingText: 2, template: '{title}. {categories}. {brand}' })
  t.true(summary.seconds > 0 && summary.itemsPerSecond > 0)
  t.regex(r.stderr, /warning: 2 item\(s\) without text/)
  const emb = await readEmbeddings(out)
  t.deepEqual(emb.ids, ['i1', 'i2', 'i3', 'i4', 'i5'])
  t.is(emb.dim, 6)

  const again = await llminit(...args)
  t.is(again.code, 0, again.stderr)
  t.like(JSON.parse(again.stdout), { embedded: 0, cacheHits: 3 })
  t.is(server.received.length, 1, 'the re-run sent nothing')
  t.deepEqual((await readEmbeddings(out)).vectors, emb.vectors)
})

test('embed: bad inputs exit with the code of their kind and a message naming the culprit', async (t) => {
  const server = await startFakeServer(t, { fail: () => ({ status: 401 }) })
  const dir = await tempDir(t)
  const out = join(dir, 'e.arrow')
  const base = ['embed', '--data', SHOP, '--out', out, '--no-cache']

  const missingText = await llminit(...base, '--endpoint', server.url, '--endpoint-model', 'm')
  t.is(missingText.code, 3)
  t.regex(missingText.stderr, /shop\.item: item id "i4" \(and 1 other item\(s\)\) has no text/)

  const field = await llminit(...base, '--endpoint', server.url, '--endpoint-model', 'm', '--template', '{title} {colour}')
  t.is(field.code, 2)
  t.regex(field.stderr, /field "colour" is not a column of .*shop\.item/)

  const folder = await llminit(...base, '--model-path', join(dir, 'no-such-model'))
  t.is(folder.code, 3)
  t.regex(folder.stderr, /no-such-model: no such model folder/)

  const url = await llminit(...base, '--endpoint', 'localhost:11434', '--endpoint-model', 'm')
  t.is(url.code, 2)
  t.regex(url.stderr, /endpoint "localhost:11434": expected an http: or https: URL/)

  const auth = await llminit(...base, '--endpoint', server.url, '--endpoint-model', 'm', '--missing-text', 'zero', '--api-key-env', 'LLMINIT_TEST_NO_KEY')
  t.is(auth.code, 5)
  t.regex(auth.stderr, /authentication failed \(HTTP 401\): the environment variable LLMINIT_TEST_NO_KEY is not set/)

  const two = await llminit(...base, '--model-path', dir, '--endpoint', server.url)
  t.is(two.code, 2)
  t.regex(two.stderr, /give one embedding source, not modelPath and endpoint/)

  const ext = await llminit('embed', '--data', SHOP, '--out', join(dir, 'e.csv'), '--endpoint', server.url, '--endpoint-model', 'm')
  t.is(ext.code, 2)
  t.regex(ext.stderr, /cannot write embeddings as "\.csv"/)
  t.false(existsSync(out), 'no output after a failure')
})

;(hasLocalModel() ? test : test.skip)('embed --model-path on five Office items matches the sentence-transformers reference', async (t) => {
  const dir = await tempDir(t)
  const out = join(dir, 'office5.jsonl')
  const r = await llminit('embed', '--data', OFFICE, '--model-path', MINILM, '--limit', '5', '--cache-dir', join(dir, 'cache'), '--out', out, '--json')
  t.is(r.code, 0, r.stderr)
  t.like(JSON.parse(r.stdout), { items: 5, dim: 384, embedded: 5, source: 'onnx:all-MiniLM-L6-v2', template: '{text}' })
  const emb = await readEmbeddings(out)
  const item = (await readFile(join(OFFICE, 'amazon-office.item'), 'utf8')).split('\n').slice(1).map((l) => l.split('\t'))
  const textOf = new Map(item.map((f) => [f[0], f[2]]))
  const refs = new Map(
    (await readFile(join(MINILM, 'reference.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; embedding: number[] })
      .map((x) => [x.text, x.embedding]),
  )
  let compared = 0
  emb.ids.forEach((id, k) => {
    const ref = refs.get(textOf.get(id)!)
    if (ref === undefined) return
    let dot = 0
    for (let j = 0; j < 384; j++) dot += emb.vectors[k * 384 + j] * ref[j]
    t.true(dot >= 0.999, `item ${id}: cosine ${dot}`)
    compared++
  })
  t.true(compared >= 1, `${compared} of the five items are among the reference texts`)
})

test('train --embed-endpoint embeds the item text through the cache, then initializes', async (t) => {
  const server = await startFakeServer(t, { dim: 16 })
  const dir = await tempDir(t)
  const args = ['train', '--data', ML100K, '--model', 'mf', '--epochs', '1', '--dim', '8', '--threads', '2', '--init', 'var', '--quiet', '--json']
  const embed = ['--embed-endpoint', server.url, '--embed-model', 'fake', '--embed-missing-text', 'zero', '--embed-cache-dir', join(dir, 'cache')]
  const r = await llminit(...args, ...embed)
  t.is(r.code, 0, r.stderr)
  const report = JSON.parse(r.stdout)
  t.is(report.init.file, `fake@${server.url}/embeddings`)
  t.like(report.init.diagnostics, { vectorDim: 16, dim: 8 })
  t.like(report.init.diagnostics.embedding, { items: 1682, dim: 16, cacheHits: 0, template: '{movie_title}. {class}' })
  t.true(report.init.diagnostics.embedSeconds > 0 && report.init.diagnostics.embedSeconds <= report.init.diagnostics.loadSeconds)

  const again = JSON.parse((await llminit(...args, ...embed)).stdout)
  t.is(again.init.diagnostics.embedding.embedded, 0, 'all from the cache')
  t.deepEqual(again.initial, report.initial, 'same vectors, same initial metrics')

  const both = await llminit(...args, ...embed, '--embeddings', 'x.parquet')
  t.is(both.code, 2)
  t.regex(both.stderr, /item vectors from one source only: got --embeddings and --embed-endpoint/)
  const noModel = await llminit(...args, '--embed-endpoint', server.url)
  t.is(noModel.code, 2)
  t.regex(noModel.stderr, /needs embedModel \(--embed-model\)/)
})
