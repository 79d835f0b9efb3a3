/**
 * The OpenAI-compatible endpoint client against a local node:http server: order by `index`,
 * batching and the concurrency limit, retries (429 with Retry-After, 500s until they run out),
 * authentication failures, wrong or inconsistent dimensions, and the API key header.
 */
import test from 'ava'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { openEndpoint, embeddingsUrl } from '../src/embed/endpoint.js'
import { backoffMs, retryAfterMs } from '../src/embed/retry.js'
import { fakeVector, startFakeServer } from './embed-server.js'

const TEXTS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon']
const FAST = { baseDelayMs: 5, maxDelayMs: 50 }

function expected(texts: string[], dim: number): number[] {
  return Array.from(new Float32Array(texts.flatMap((s) => fakeVector(s, dim))))
}

test('embeddingsUrl: a base URL gets /embeddings, a full URL is kept, other schemes are refused', (t) => {
  t.is(embeddingsUrl('http://localhost:11434/v1'), 'http://localhost:11434/v1/embeddings')
  t.is(embeddingsUrl('http://localhost:11434/v1/'), 'http://localhost:11434/v1/embeddings')
  t.is(embeddingsUrl('https://api.example.com/v1/embeddings'), 'https://api.example.com/v1/embeddings')
  t.throws(() => embeddingsUrl('localhost:11434'), { code: 'ERR_LLMINIT_INVALID_OPTION', message: /expected an http: or https: URL/ })
  t.throws(() => embeddingsUrl('not a url'), { code: 'ERR_LLMINIT_INVALID_OPTION', message: /is not a URL/ })
})

test('retry timing: Retry-After in seconds or as a date, else exponential backoff', (t) => {
  t.is(retryAfterMs('2'), 2000)
  t.is(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10_000)
  t.is(retryAfterMs(null), undefined)
  t.is(retryAfterMs('soon'), undefined)
  const policy = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000 }
  t.is(backoffMs(policy, 0, undefined, () => 0), 100)
  t.is(backoffMs(policy, 2, undefined, () => 0), 400)
  t.is(backoffMs(policy, 2, undefined, () => 1), 500)
  t.is(backoffMs(policy, 9, undefined, () => 0), 1000)
  t.is(backoffMs(policy, 0, 5000), 1000, 'Retry-After is capped too')
})

test('vectors come back in input order, by index, whatever order the server answers in', async (t) => {
  const server = await startFakeServer(t, { dim: 3, reverse: true })
  const embedder = openEndpoint({ url: server.url, model: 'fake-model' })
  const { dim, vectors } = await embedder.embed(TEXTS, { batchSize: 2 })
  t.is(dim, 3)
  t.deepEqual(Array.from(vectors), expected(TEXTS, 3))
  t.deepEqual(server.received.map((r) => r.input.join('|')).sort(), ['alpha|beta', 'epsilon', 'gamma|delta'], 'batches of 2')
  t.true(server.received.every((r) => r.model === 'fake-model'))
})

test('at most `concurrency` requests are in flight; progress reaches the total', async (t) => {
  const server = await startFakeServer(t, { dim: 2, delayMs: 30 })
  const texts = Array.from({ length: 20 }, (_, k) => `text ${k}`)
  const progress: number[] = []
  const { vectors } = await openEndpoint({ url: server.url, model: 'm', concurrency: 2 }).embed(texts, { batchSize: 2, onProgress: (n) => progress.push(n) })
  t.is(server.received.length, 10)
  t.is(server.maxInFlight(), 2)
  t.deepEqual(Array.from(vectors), expected(texts, 2))
  t.is(progress.at(-1), 20)
  t.true(progress.every((n, k) => k === 0 || n > progress[k - 1]))
})

test('429 then success: retried after the Retry-After the server asked for', async (t) => {
  const server = await startFakeServer(t, { fail: (r) => (r === 0 ? { status: 429, headers: { 'retry-after': '1' } } : undefined) })
  const started = performance.now()
  const { vectors } = await openEndpoint({ url: server.url, model: 'm', retry: FAST }).embed(['one'], { batchSize: 8 })
  const waited = performance.now() - started
  t.is(server.received.length, 2)
  t.deepEqual(Array.from(vectors), expected(['one'], 8))
  t.true(waited >= 50, `the Retry-After wait is capped at maxDelayMs (${waited.toFixed(0)} ms)`)
  // With a cap above one second the full Retry-After is honoured.
  const again = await startFakeServer(t, { fail: (r) => (r === 0 ? { status: 429, headers: { 'retry-after': '1' } } : undefined) })
  const t0 = performance.now()
  await openEndpoint({ url: again.url, model: 'm', retry: { baseDelayMs: 5, maxDelayMs: 5000 } }).embed(['one'], { batchSize: 8 })
  t.true(performance.now() - t0 >= 950, 'waited about one second')
})

test('500s until the retries run out: an ERR_LLMINIT_ENDPOINT error naming the status and attempts', async (t) => {
  const server = await startFakeServer(t, { fail: () => ({ status: 500, body: 'model crashed' }) })
  await t.throwsAsync(openEndpoint({ url: server.url, model: 'm', retry: { ...FAST, maxRetries: 2 } }).embed(['a', 'b'], { batchSize: 8 }), {
    code: 'ERR_LLMINIT_ENDPOINT',
    message: /\/v1\/embeddings \(texts 1–2\): HTTP 500 after 3 attempt\(s\), giving up — model crashed/,
  })
  t.is(server.received.length, 3)
})

test('401: fails at once, saying the key variable is not set', async (t) => {
  const server = await startFakeServer(t, { fail: () => ({ status: 401 }) })
  const name = 'LLMINIT_TEST_UNSET_KEY'
  delete process.env[name]
  await t.throwsAsync(openEndpoint({ url: server.url, model: 'm', apiKeyEnv: name, retry: FAST }).embed(['a'], { batchSize: 8 }), {
    code: 'ERR_LLMINIT_ENDPOINT',
    message: new RegExp(`authentication failed \\(HTTP 401\\): the environment variable ${name} is not set`),
  })
  t.is(server.received.length, 1, 'no retry')
})

test('403 with a key: fails at once, naming the variable; the key is sent as a Bearer token', async (t) => {
  const server = await startFakeServer(t, { fail: () => ({ status: 403 }) })
  process.env.LLMINIT_TEST_KEY = 'sk-test-123'
  t.teardown(() => delete process.env.LLMINIT_TEST_KEY)
  await t.throwsAsync(openEndpoint({ url: server.url, model: 'm', apiKeyEnv: 'LLMINIT_TEST_KEY' }).embed(['a'], { batchSize: 8 }), {
    code: 'ERR_LLMINIT_ENDPOINT',
    message: /authentication failed \(HTTP 403\): check the key in LLMINIT_TEST_KEY/,
  })
  t.is(server.received[0].authorization, 'Bearer sk-test-123')
})

test('a dimension other than the one asked for is an error', async (t) => {
  const server = await startFakeServer(t, { dim: 4 })
  await t.throwsAsync(openEndpoint({ url: server.url, model: 'm', dimensions: 8 }).embed(['a'], { batchSize: 8 }), {
    code: 'ERR_LLMINIT_ENDPOINT',
    message: /input 0 got a vector of length 4, expected 8 \(the dimensions asked for\)/,
  })
})

test('vectors of inconsistent length across batches are an error', async (t) => {
  const server = await startFakeServer(t, { dimOf: (r) => (r === 0 ? 4 : 5) })
  await t.throwsAsync(openEndpoint({ url: server.url, model: 'm', concurrency: 1 }).embed(['a', 'b', 'c'], { batchSize: 2 }), {
    code: 'ERR_LLMINIT_ENDPOINT',
    message: /\(texts 3–3\): input 0 got a vector of length 5, expected 4 \(the length of the first vector received\)/,
  })
})

test('an unreachable endpoint fails after its retries with the network error', async (t) => {
  // A port that was free a moment ago: nothing listens there.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  await t.throwsAsync(openEndpoint({ url: `http://127.0.0.1:${port}/v1`, model: 'm', retry: { ...FAST, maxRetries: 1 } }).embed(['a'], { batchSize: 8 }), {
    code: 'ERR_LLMINIT_ENDPOINT',
    message: /request failed after 2 attempt\(s\): ECONNREFUSED/,
  })
})
