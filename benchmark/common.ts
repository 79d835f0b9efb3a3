/**
 * Shared by the JS benchmarks: the Amazon Beauty dataset (22,363 users × 12,101 items, 198,502
 * interactions; RecBole's leave-one-out split on a random order, seed 2020), seeded tables, and
 * the machine description written next to every result.
 */
import { cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { loadInteractions, splitInteractions } from '../src/data/index.js'
import type { Interactions, Split } from '../src/data/index.js'

/** The shared dataset folder beside the project (see ../shared/data/README.md). */
export const BEAUTY = fileURLToPath(new URL('../../shared/data/amazon-beauty', import.meta.url))
export const SEED = 2020

export async function loadBeauty(): Promise<{ data: Interactions; split: Split }> {
  const data = await loadInteractions(BEAUTY)
  const split = splitInteractions(data, { mode: 'loo-random', seed: SEED })
  return { data, split }
}

/** A seeded table of `n` values uniform in [-bound, bound) (mulberry32; no dependency on the library's RNG). */
export function seededTable(n: number, bound: number, seed: number): Float32Array {
  let s = seed >>> 0
  const out = new Float32Array(n)
  for (let k = 0; k < n; k++) {
    s = (s + 0x6d2b79f5) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 15), z | 1)
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61)
    const u = ((z ^ (z >>> 14)) >>> 0) / 2 ** 32
    out[k] = (2 * u - 1) * bound
  }
  return out
}

export function machine() {
  const list = cpus()
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    /** Other load on the machine when the benchmark started (1, 5, 15 min averages). */
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  }
}

export const fmt = (x: number, digits = 2): string => x.toFixed(digits)
