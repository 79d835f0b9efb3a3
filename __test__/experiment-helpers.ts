/** Small data and fake runs for the experiment tests. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Cell } from '../src/experiment/grid.js'
import type { RunRecord } from '../src/experiment/record.js'
import type { TrainReport } from '../src/train.js'

/**
 * A synthetic RecBole dataset (`<dir>/tiny-exp/tiny-exp.inter`: 24 users × 16 items, user u has
 * items u, u+1, …, u+5+(u mod 4) mod 16) and 8-d item vectors (`<dir>/tiny-exp.jsonl`, item i →
 * [sin(i+1), cos(2i+1), …]); returns both paths.
 */
export async function writeTinyExperimentData(dir: string): Promise<{ data: string; embeddings: string }> {
  const folder = join(dir, 'tiny-exp')
  await mkdir(folder, { recursive: true })
  const lines = ['user_id:token\titem_id:token']
  for (let u = 0; u < 24; u++) for (let j = 0; j < 6 + (u % 4); j++) lines.push(`u${u}\ti${(u + j) % 16}`)
  await writeFile(join(folder, 'tiny-exp.inter'), lines.join('\n') + '\n')
  const emb = Array.from({ length: 16 }, (_, i) =>
    JSON.stringify({ id: `i${i}`, embedding: Array.from({ length: 8 }, (_, k) => Number(Math.sin((i + 1) * (k + 1) + k).toFixed(6))) }),
  )
  const embeddings = join(dir, 'tiny-exp.jsonl')
  await writeFile(embeddings, emb.join('\n') + '\n')
  return { data: folder, embeddings }
}

/** Training options that make a run on the tiny data take milliseconds. */
export const TINY_TRAIN = { epochs: 2, dim: 4, ks: [2, 5], validMetric: 'ndcg@2', threads: 1, batchSize: 32 }

/** A fake finished run with the given test metrics (only the fields the reports read). */
export function fakeRun(dataset: string, backbone: string, arm: string, seed: number, test: Record<string, number>, extra: Partial<TrainReport> = {}): RunRecord {
  const cell: Cell = { id: `${dataset}__${backbone}__${arm}__s${seed}`, dataset, backbone, arm, source: null, seed, params: {}, config: { data: `/data/${dataset}` } }
  const report = {
    llminit: '0.1.0',
    createdAt: '2026-01-01T00:00:00.000Z',
    protocol: 'standard',
    config: { data: `/data/${dataset}`, model: backbone, init: arm, seed, epochs: 30, patience: 10, split: 'loo-random', ks: [10, 20], validMetric: 'ndcg@10', dim: 64, layers: 2, lr: 0.001, batchSize: 256, regWeight: 1e-5, dedupe: false, halveTrain: false },
    dataset: { name: dataset, files: [], stats: { users: 10, items: 20, interactions: 100, density: 0.5, train: 80, valid: 10, test: 10 } },
    model: { name: backbone, parameters: 1 },
    bestEpoch: 7,
    epochsRun: 18,
    stoppedEarly: true,
    valid: test,
    test,
    byActivity: [],
    metrics: {},
    history: [
      { epoch: 1, loss: 0.6, valid: 0.01, trainSeconds: 1, evalSeconds: 0.1, improved: true },
      { epoch: 2, loss: 0.5, valid: 0.02, trainSeconds: 1, evalSeconds: 0.1, improved: true },
    ],
    timings: { loadSeconds: 0, splitSeconds: 0, initSeconds: 0, trainSeconds: 1, totalSeconds: 12.5, medianEpochSeconds: 1 },
    peakRssMB: 1,
    ...extra,
  } as unknown as TrainReport
  return { cell, report, file: `runs/${cell.id}.json` }
}
