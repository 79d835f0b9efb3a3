/** Shared helpers of the end-to-end tests (`train.spec.ts`, `cli.spec.ts`). */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ExecutionContext } from 'ava'
import type { Split } from '../src/data/index.js'

/** The real MovieLens-100k dataset (RecBole atomic files), shared by the team. */
export const ML100K = fileURLToPath(new URL('../../shared/data/ml-100k', import.meta.url))

/** A file under `__test__/fixtures/e2e/`. */
export const e2eFixture = (name: string): string => fileURLToPath(new URL(`./fixtures/e2e/${name}`, import.meta.url))

/** The repository root (where `bin/llminit.js` and `README.md` live). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The shared all-MiniLM-L6-v2 folder (ONNX weights, tokenizer, sentence-transformers files, reference vectors). */
export const MINILM = fileURLToPath(new URL('../../shared/models/all-MiniLM-L6-v2', import.meta.url))

/** Whether local-model tests can run: the model folder and the optional `@huggingface/transformers` are present. */
export function hasLocalModel(): boolean {
  if (!existsSync(join(MINILM, 'onnx', 'model.onnx')) || !existsSync(join(MINILM, 'reference.jsonl'))) return false
  try {
    createRequire(import.meta.url).resolve('@huggingface/transformers')
    return true
  } catch {
    return false
  }
}

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node bin/llminit.js …args` (the compiled `dist/`) to completion; never throws on a non-zero exit. */
export function runCli(...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin', 'llminit.js'), ...args], { cwd: REPO_ROOT, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') return reject(error)
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
    })
  })
}

/** A fresh temporary folder, removed when the test ends. */
export async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'llminit-e2e-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Most-popular baseline under leave-one-out, computed without the library's evaluation code:
 * items ranked by training degree (ties by lower id), each test user's training and validation
 * items masked (as the standard protocol masks them for test); per test user, the 0-based rank
 * of the single test item among the unmasked items, or −1 when it is not within the top k.
 */
function popularityRanks(nItems: number, split: Split, k: number): number[] {
  const degree = new Float64Array(nItems)
  for (const i of split.train.items) degree[i]++
  const byPopularity = Array.from({ length: nItems }, (_, i) => i).sort((a, b) => degree[b] - degree[a] || a - b)
  const masked = new Map<number, Set<number>>()
  const mask = (u: number, i: number) => {
    let set = masked.get(u)
    if (set === undefined) masked.set(u, (set = new Set()))
    set.add(i)
  }
  split.train.users.forEach((u, j) => mask(u, split.train.items[j]))
  split.valid.users.forEach((u, j) => mask(u, split.valid.items[j]))

  const ranks: number[] = []
  for (let j = 0; j < split.test.users.length; j++) {
    const seen = masked.get(split.test.users[j]) ?? new Set<number>()
    const target = split.test.items[j]
    let rank = 0
    let found = -1
    for (const item of byPopularity) {
      if (item === target) {
        found = rank
        break
      }
      if (!seen.has(item) && ++rank >= k) break
    }
    ranks.push(found)
  }
  return ranks
}

/** Most-popular NDCG@k: 1/log2(rank+2) of the test item when ranked within k, averaged over test users. */
export function popularityNdcg(nItems: number, split: Split, k: number): number {
  const ranks = popularityRanks(nItems, split, k)
  return ranks.reduce((s, r) => s + (r >= 0 ? 1 / Math.log2(r + 2) : 0), 0) / ranks.length
}

/** Most-popular Recall@k under leave-one-out: the share of test users whose test item ranks within k. */
export function popularityRecall(nItems: number, split: Split, k: number): number {
  const ranks = popularityRanks(nItems, split, k)
  return ranks.filter((r) => r >= 0).length / ranks.length
}
