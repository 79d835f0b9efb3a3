/**
 * A local OpenAI-compatible `/v1/embeddings` server for the embedding tests (node:http on
 * 127.0.0.1, a free port). By default it answers every text with `fakeVector(text, dim)`; a test
 * can script the status of each request, reorder the answer, or change the dimension.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ExecutionContext } from 'ava'

/** A deterministic vector of a text: position j is ((code points of the text · (j+1)) mod 97) / 97 − 0.5. */
export function fakeVector(text: string, dim: number): number[] {
  const v = new Array<number>(dim).fill(0)
  for (const ch of text) {
    const c = ch.codePointAt(0)!
    for (let j = 0; j < dim; j++) v[j] += c * (j + 1)
  }
  return v.map((x) => (x % 97) / 97 - 0.5)
}

export interface Received {
  input: string[]
  model: string
  authorization: string | undefined
}

export interface FakeServerOptions {
  dim?: number
  /**
   * Called for each request (0-based count); return a status and headers to answer with an
   * error instead of vectors, or undefined to answer normally.
   */
  fail?: (request: number) => { status: number; headers?: Record<string, string>; body?: string } | undefined
  /** Reverse the order of `data` in answers (each entry keeps its `index`). */
  reverse?: boolean
  /** The dimension of the vector for input k of request r (default `dim`). */
  dimOf?: (request: number, k: number) => number
  /** Milliseconds to wait before answering (to observe concurrency). */
  delayMs?: number
}

export interface FakeServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT/v1`. */
  url: string
  received: Received[]
  /** The most requests that were in flight at once. */
  maxInFlight: () => number
  /** Every text received, in order. */
  texts: () => string[]
}

export async function startFakeServer(t: ExecutionContext, options: FakeServerOptions = {}): Promise<FakeServer> {
  const dim = options.dim ?? 8
  const received: Received[] = []
  let inFlight = 0
  let maxInFlight = 0
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const r = received.length
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input: string[]; model: string }
      received.push({ input: body.input, model: body.model, authorization: req.headers.authorization })
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
      inFlight--
      if (req.url !== '/v1/embeddings' || req.method !== 'POST') {
        res.writeHead(404).end('not found')
        return
      }
      const failure = options.fail?.(r)
      if (failure !== undefined) {
        res.writeHead(failure.status, { 'content-type': 'application/json', ...failure.headers }).end(failure.body ?? JSON.stringify({ error: { message: `status ${failure.status}` } }))
        return
      }
      const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: fakeVector(text, options.dimOf?.(r, index) ?? dim) }))
      if (options.reverse) data.reverse()
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: body.model }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    received,
    maxInFlight: () => maxInFlight,
    texts: () => received.flatMap((r) => r.input),
  }
}
