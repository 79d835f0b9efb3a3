/**
 * Kernel benchmarks on Amazon Beauty (22,363 users × 12,101 items; loo-random split, seed 2020;
 * 153,776 training pairs), d = 128, L = 2, through the public kernels of `src/kernels.ts`:
 * - one propagation layer (`Graph.propagate`, layers = 1), also as GB/s of compulsory traffic
 *   ((nUsers + nItems)·d·4·2 + 2·nnz·8 bytes: read and write each table once, read R̃ and R̃ᵀ with
 *   a u32 index and an f32 value per entry) — the call also copies its input once and writes a
 *   fresh output, so this understates the kernel's own bandwidth; the marginal cost of the
 *   second layer (forward L=2 minus L=1) is reported beside it;
 * - a full L = 2 forward (`Graph.propagate`, layers = 2);
 * - one LightGCN training step at batch 256 and at 2048, one MF-BPR step at 256 (`StepBench`);
 * - one full-ranking evaluation of every user with a validation item at top-50, training items
 *   masked (`evaluateRanking`, ks 10/20/50).
 * Tables are seeded uniform values; times are medians of tinybench samples. Prints a table and
 * writes `benchmark/results.json` (atomically).
 *
 * Run: `npm run bench` (`node --import tsx benchmark/bench.ts`); `--threads <n>` to pin the pool.
 */
import { fileURLToPath } from 'node:url'
import { Bench, type Task } from 'tinybench'
import { writeFileAtomic } from '../src/io/atomic-write.js'
import { evaluateRanking, Graph, StepBench } from '../src/kernels.js'
import { fmt, loadBeauty, machine, seededTable } from './common.js'

const DIM = 128
const LAYERS = 2
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url))

const threadsArg = process.argv.indexOf('--threads')
const threads = threadsArg >= 0 ? Number(process.argv[threadsArg + 1]) : undefined

const { data, split } = await loadBeauty()
const { nUsers, nItems } = data
const graph = new Graph(nUsers, nItems, split.train)
const tables = {
  users: seededTable(nUsers * DIM, 0.1, 1),
  items: seededTable(nItems * DIM, 0.1, 2),
}
const final = graph.propagate(tables, { dim: DIM, layers: LAYERS, threads })
const layerBytes = (nUsers + nItems) * DIM * 4 * 2 + 2 * graph.nnz * 8
console.log(
  `Amazon Beauty: ${nUsers} users × ${nItems} items, ${split.train.users.length} training pairs (${graph.nnz} distinct edges), d=${DIM}, L=${LAYERS}, threads ${threads ?? 'all'}`,
)

const stepBench = (model: 'lightgcn' | 'mf', batchSize: number) =>
  new StepBench(nUsers, nItems, split, { model, dim: DIM, layers: LAYERS, batchSize, threads })
const benches = { lgcn256: stepBench('lightgcn', 256), lgcn2048: stepBench('lightgcn', 2048), mf256: stepBench('mf', 256) }

// Kernels of a few to a few hundred ms: at least 10 samples or 3 s each, after 3 warm-up calls.
const fast = new Bench({ name: 'kernels', time: 3000, iterations: 10, warmupTime: 0, warmupIterations: 3, throws: true })
fast
  .add('propagate, 1 layer', () => void graph.propagate(tables, { dim: DIM, layers: 1, threads }))
  .add(`forward, L=${LAYERS}`, () => void graph.propagate(tables, { dim: DIM, layers: LAYERS, threads }))
  .add('LightGCN step, batch 256', () => void benches.lgcn256.step())
  .add('LightGCN step, batch 2048', () => void benches.lgcn2048.step())
  .add('MF step, batch 256', () => void benches.mf256.step())
// A full evaluation takes seconds: 5 samples after one warm-up.
const slow = new Bench({ name: 'evaluation', time: 0, iterations: 5, warmupTime: 0, warmupIterations: 1, throws: true })
let evaluated = 0
slow.add('full evaluation, top-50', () => {
  const m = evaluateRanking(final, split.valid, { dim: DIM, nUsers, nItems, masks: [split.train], ks: [10, 20, 50], threads })
  evaluated = m['recall@50']
})

await fast.run()
await slow.run()
for (const b of Object.values(benches)) b.close()

function median(task: Task): number {
  const r = task.result
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`)
  return r.latency.p50
}

const rows = [...fast.tasks, ...slow.tasks].map((task) => {
  const ms = median(task)
  const samples = task.result.state === 'completed' ? task.result.latency.samplesCount : 0
  return { name: task.name, medianMs: ms, samples }
})
const layerMs = rows[0].medianMs
const gbPerSecond = layerBytes / (layerMs / 1000) / 1e9
// The second layer's marginal cost (forward L=2 minus L=1) leaves out the per-call copies.
const marginalMs = rows[1].medianMs - layerMs
const marginalGbPerSecond = marginalMs > 0 ? layerBytes / (marginalMs / 1000) / 1e9 : null

const width = Math.max(...rows.map((r) => r.name.length))
console.log(`\n${'task'.padEnd(width)}  median ms  samples`)
for (const r of rows) console.log(`${r.name.padEnd(width)}  ${fmt(r.medianMs).padStart(9)}  ${String(r.samples).padStart(7)}`)
console.log(
  `\npropagation layer: ${fmt(layerBytes / 1e6, 1)} MB compulsory traffic / ${fmt(layerMs)} ms per call = ${fmt(gbPerSecond)} GB/s` +
    (marginalGbPerSecond === null
      ? ''
      : `; marginal layer (L=2 minus L=1): ${fmt(marginalMs)} ms = ${fmt(marginalGbPerSecond)} GB/s`) +
    `\nfull evaluation: ${split.valid.users.length} users × ${nItems} items (recall@50 of random tables ${fmt(evaluated, 4)})`,
)

const results = {
  benchmark: 'llminit kernels (benchmark/bench.ts)',
  createdAt: new Date().toISOString(),
  dataset: { name: 'amazon-beauty', users: nUsers, items: nItems, trainPairs: split.train.users.length, edges: graph.nnz, split: 'loo-random', seed: 2020 },
  settings: { dim: DIM, layers: LAYERS, threads: threads ?? 'all' },
  machine: machine(),
  medianMs: Object.fromEntries(rows.map((r) => [r.name, r.medianMs])),
  samples: Object.fromEntries(rows.map((r) => [r.name, r.samples])),
  propagationLayer: { compulsoryBytes: layerBytes, gbPerSecond, marginalMs, marginalGbPerSecond },
}
await writeFileAtomic(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
console.log(`wrote ${RESULTS}`)
