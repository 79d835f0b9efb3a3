/**
 * The low-level kernels (`src/kernels.ts`): propagation and full-ranking evaluation on
 * hand-computed cases, their input checks, and `StepBench` on MovieLens-100k. No timing here;
 * the benchmarks live in `benchmark/`.
 */
import test from 'ava'
import { loadInteractions, splitInteractions } from '../src/data/index.js'
import { LlminitError } from '../src/errors.js'
import { evaluateRanking, Graph, StepBench, type Pairs } from '../src/kernels.js'
import { train } from '../src/train.js'
import { ML100K } from './helpers.js'

const pairs = (users: number[], items: number[]): Pairs => ({ users: Uint32Array.from(users), items: Uint32Array.from(items) })

function assertClose(t: import('ava').ExecutionContext, got: ArrayLike<number>, want: number[], tol: number, what: string) {
  t.is(got.length, want.length, `${what}: length`)
  for (let k = 0; k < want.length; k++) t.true(Math.abs(got[k] - want[k]) < tol, `${what}[${k}]: got ${got[k]}, want ${want[k]}`)
}

function codeOf(err: unknown): string | undefined {
  return (err as { code?: string } | undefined)?.code
}

// ---------------------------------------------------------------------------------------------
// Graph.propagate

// Two users, three items, edges u0-i0, u0-i1, u1-i1, u1-i2; dim 1, E = [1, 2 | 3, 4, 5].
// deg(u0) = deg(u1) = 2, deg(i0) = deg(i2) = 1, deg(i1) = 2, so R̃: u0 → (i0: 1/√2, i1: 1/2),
// u1 → (i1: 1/2, i2: 1/√2).
// Layer 1: u0 = 3/√2 + 4/2 = 4.12132, u1 = 4/2 + 5/√2 = 5.53553,
//          i0 = 1/√2 = 0.70711, i1 = 1/2 + 2/2 = 1.5, i2 = 2/√2 = 1.41421.
// Layer 2: u0 = 0.70711/√2 + 1.5/2 = 1.25, u1 = 1.5/2 + 1.41421/√2 = 1.75,
//          i0 = 4.12132/√2 = 2.91421, i1 = (4.12132 + 5.53553)/2 = 4.82843, i2 = 5.53553/√2 = 3.91421.
// Mean of layers 0..2: users [2.12377, 3.09518], items [2.20711, 3.44281, 3.44281].
const EDGES = pairs([0, 0, 1, 1], [0, 1, 1, 2])
const E = { users: Float32Array.of(1, 2), items: Float32Array.of(3, 4, 5) }

test('Graph.propagate matches the hand-computed two-layer mean', (t) => {
  const graph = new Graph(2, 3, EDGES)
  t.is(graph.nUsers, 2)
  t.is(graph.nItems, 3)
  t.is(graph.nnz, 4)
  const f = graph.propagate(E, { dim: 1, layers: 2 })
  t.true(f.users instanceof Float32Array && f.items instanceof Float32Array)
  assertClose(t, f.users, [2.12377, 3.09518], 1e-4, 'users')
  assertClose(t, f.items, [2.20711, 3.44281, 3.44281], 1e-4, 'items')
  // One layer: the mean of layer 0 and layer 1.
  const one = graph.propagate(E, { dim: 1, layers: 1, threads: 1 })
  assertClose(t, one.users, [(1 + 4.12132) / 2, (2 + 5.53553) / 2], 1e-4, 'users, L=1')
  assertClose(t, one.items, [(3 + 0.70711) / 2, (4 + 1.5) / 2, (5 + 1.41421) / 2], 1e-4, 'items, L=1')
  // L = 0 copies; the input is never written.
  const zero = graph.propagate(E, { dim: 1, layers: 0 })
  t.deepEqual(Array.from(zero.users), [1, 2])
  t.deepEqual(Array.from(zero.items), [3, 4, 5])
  t.deepEqual(Array.from(E.items), [3, 4, 5])
})

test('Graph.propagate counts a repeated edge once and is identical for any thread count', (t) => {
  const repeated = new Graph(2, 3, pairs([0, 0, 1, 1, 0], [0, 1, 1, 2, 1]))
  t.is(repeated.nnz, 4)
  const f = repeated.propagate(E, { dim: 1 })
  assertClose(t, f.users, [2.12377, 3.09518], 1e-4, 'users')

  // A larger seeded case: 1 and 2 threads agree bit for bit.
  let s = 12345
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1
  const nUsers = 300
  const nItems = 200
  const dim = 8
  const us: number[] = []
  const is: number[] = []
  for (let k = 0; k < 2000; k++) {
    us.push(Math.floor(((rand() + 1) / 2) * nUsers))
    is.push(Math.floor(((rand() + 1) / 2) * nItems))
  }
  const g = new Graph(nUsers, nItems, pairs(us, is))
  const tables = { users: Float32Array.from({ length: nUsers * dim }, rand), items: Float32Array.from({ length: nItems * dim }, rand) }
  const a = g.propagate(tables, { dim, layers: 3, threads: 1 })
  const b = g.propagate(tables, { dim, layers: 3, threads: 2 })
  t.deepEqual(a.users, b.users)
  t.deepEqual(a.items, b.items)
})

test('Graph rejects ids out of range and tables of the wrong size, naming the expected size', (t) => {
  const bad = t.throws(() => new Graph(2, 3, pairs([0, 1], [0, 3])))
  t.true(bad instanceof LlminitError)
  t.is(codeOf(bad), 'ERR_LLMINIT_INVALID_INPUT')
  t.regex(bad!.message, /interaction 1: item index 3 >= n_items 3/)

  const mismatched = t.throws(() => new Graph(2, 3, pairs([0, 1], [0])))
  t.is(codeOf(mismatched), 'ERR_LLMINIT_INVALID_INPUT')
  t.regex(mismatched!.message, /differ in length: 2 vs 1/)

  const graph = new Graph(2, 3, EDGES)
  const short = t.throws(() => graph.propagate({ users: Float32Array.of(1, 2, 3), items: E.items }, { dim: 1 }))
  t.is(codeOf(short), 'ERR_LLMINIT_INVALID_INPUT')
  t.regex(short!.message, /user embeddings have 3 values, expected 2 rows × dim 1 = 2/)
  const wide = t.throws(() => graph.propagate(E, { dim: 2 }))
  t.regex(wide!.message, /user embeddings have 2 values, expected 2 rows × dim 2 = 4/)
  const noDim = t.throws(() => graph.propagate(E, { dim: 0 }))
  t.is(codeOf(noDim), 'ERR_LLMINIT_INVALID_PARAM')
  t.is(codeOf(t.throws(() => graph.propagate(E, { dim: 1, threads: 0 }))), 'ERR_LLMINIT_INVALID_PARAM')
  t.is(codeOf(t.throws(() => graph.propagate(E, { dim: 1, layers: -1 }))), 'ERR_LLMINIT_INVALID_PARAM')
})

// ---------------------------------------------------------------------------------------------
// evaluateRanking

// Two users, four items, dim 2: u0 = (1, 0), u1 = (0, 1); i0 = (4, 1), i1 = (3, 2), i2 = (2, 3),
// i3 = (1, 4). Scores: u0 → (4, 3, 2, 1), ranking i0 i1 i2 i3; u1 → (1, 2, 3, 4), ranking
// i3 i2 i1 i0. Targets: u0 {i1, i3}, u1 {i3}. With d(j) = 1/log2(j + 2) for 0-based rank j:
//   no mask, K=1: u0 [i0] no hit; u1 [i3] hit → recall (0 + 1)/2 = 0.5, ndcg 0.5.
//   no mask, K=2: u0 [i0 i1] hits (0, 1): recall 1/2, ndcg d1/(d0 + d1); u1 hits (1, 0): 1, 1.
//   no mask, K=4: u0 hits (0, 1, 0, 1): recall 1, ndcg (d1 + d3)/(d0 + d1); u1: 1, 1.
//   mask u0 {i0}, u1 {i2} → u0 ranks i1 i2 i3 (i0 last), u1 ranks i3 i1 i0 (i2 last):
//   K=1: u0 [i1] hit: recall 1/2, ndcg 1; u1 [i3] hit: 1, 1 → recall 0.75, ndcg 1.
//   K=2: u0 hits (1, 0): recall 1/2, ndcg d0/(d0 + d1); u1 hits (1, 0): 1, 1.
const d = (j: number) => 1 / Math.log2(j + 2)
const RANK_TABLES = { users: Float32Array.of(1, 0, 0, 1), items: Float32Array.of(4, 1, 3, 2, 2, 3, 1, 4) }
const TARGETS = pairs([0, 0, 1], [1, 3, 3])
const SHAPE = { dim: 2, nUsers: 2, nItems: 4 }

test('evaluateRanking matches hand-computed recall and NDCG without a mask', (t) => {
  const m = evaluateRanking(RANK_TABLES, TARGETS, { ...SHAPE, ks: [1, 2, 4], threads: 1 })
  const want: Record<string, number> = {
    'recall@1': 0.5,
    'ndcg@1': 0.5,
    'recall@2': (0.5 + 1) / 2,
    'ndcg@2': (d(1) / (d(0) + d(1)) + 1) / 2,
    'recall@4': 1,
    'ndcg@4': ((d(1) + d(3)) / (d(0) + d(1)) + 1) / 2,
    'hit@2': 1,
    'precision@2': (1 / 2 + 1 / 2) / 2,
    'mrr@4': (1 / 2 + 1) / 2,
  }
  for (const [key, value] of Object.entries(want)) t.true(Math.abs(m[key] - value) < 1e-9, `${key}: got ${m[key]}, want ${value}`)
  t.is(Object.keys(m).length, 6 * 3, 'six metrics at each of three cut-offs')
})

test('evaluateRanking masks items, from one mask or several', (t) => {
  const want: Record<string, number> = {
    'recall@1': 0.75,
    'ndcg@1': 1,
    'recall@2': 0.75,
    'ndcg@2': (d(0) / (d(0) + d(1)) + 1) / 2,
  }
  const one = evaluateRanking(RANK_TABLES, TARGETS, { ...SHAPE, ks: [1, 2], masks: [pairs([0, 1], [0, 2])] })
  const split = evaluateRanking(RANK_TABLES, TARGETS, { ...SHAPE, ks: [1, 2], masks: [pairs([0], [0]), pairs([1], [2])], threads: 2 })
  for (const [key, value] of Object.entries(want)) {
    t.true(Math.abs(one[key] - value) < 1e-9, `${key}: got ${one[key]}, want ${value}`)
  }
  t.deepEqual(split, one)
})

test('evaluateRanking rejects bad shapes, ids and cut-offs, naming the expected size', (t) => {
  const items = t.throws(() => evaluateRanking({ users: RANK_TABLES.users, items: new Float32Array(6) }, TARGETS, SHAPE))
  t.true(items instanceof LlminitError)
  t.is(codeOf(items), 'ERR_LLMINIT_INVALID_INPUT')
  t.regex(items!.message, /item embeddings have 6 values, expected 4 rows × dim 2 = 8/)
  const users = t.throws(() => evaluateRanking(RANK_TABLES, TARGETS, { ...SHAPE, nUsers: 3, ks: [1] }))
  t.regex(users!.message, /user embeddings have 4 values, expected 3 rows × dim 2 = 6/)
  const target = t.throws(() => evaluateRanking(RANK_TABLES, pairs([0, 2], [1, 1]), { ...SHAPE, ks: [1] }))
  t.is(codeOf(target), 'ERR_LLMINIT_INVALID_INPUT')
  t.regex(target!.message, /targets: interaction 1: user index 2 >= n_users 2/)
  const mask = t.throws(() => evaluateRanking(RANK_TABLES, TARGETS, { ...SHAPE, ks: [1], masks: [pairs([], []), pairs([0], [9])] }))
  t.regex(mask!.message, /mask 1: interaction 0: item index 9 >= n_items 4/)
  const k = t.throws(() => evaluateRanking(RANK_TABLES, TARGETS, SHAPE)) // default ks reach 50 > 4 items
  t.is(codeOf(k), 'ERR_LLMINIT_INVALID_PARAM')
  t.regex(k!.message, /`ks`.*1\.\.=4.*got 10/)
  t.is(codeOf(t.throws(() => evaluateRanking(RANK_TABLES, TARGETS, { ...SHAPE, ks: [] }))), 'ERR_LLMINIT_INVALID_PARAM')
})

// ---------------------------------------------------------------------------------------------
// StepBench

async function ml100kSplit() {
  const data = await loadInteractions(ML100K)
  return { data, split: splitInteractions(data, { mode: 'loo-random', seed: 2020 }) }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

test.serial('StepBench: the training loss goes down over 50 steps on ml-100k (LightGCN and MF)', async (t) => {
  const { data, split } = await ml100kSplit()
  for (const model of ['lightgcn', 'mf'] as const) {
    const bench = new StepBench(data.nUsers, data.nItems, split, { model, dim: 64, batchSize: 1024, lr: 0.01, threads: 2 })
    t.is(bench.nParameters, (data.nUsers + data.nItems) * 64)
    const losses = Array.from({ length: 50 }, () => bench.step())
    t.is(bench.steps, 50)
    for (const l of losses) t.true(Number.isFinite(l) && l > 0, `${model} loss ${l}`)
    const first = mean(losses.slice(0, 5))
    const last = mean(losses.slice(-5))
    t.log(`${model}: mean loss of steps 1–5 ${first.toFixed(4)}, of steps 46–50 ${last.toFixed(4)}`)
    // MF starts from xavier_normal scores near 0, where the BPR gradient is small: its loss
    // moves later than LightGCN's, whose propagated scores grow faster.
    const factor = model === 'lightgcn' ? 0.9 : 0.9999
    t.true(last < factor * first, `${model}: ${last} should be below ${factor} × ${first}`)
    bench.close()
    const closed = t.throws(() => bench.step())
    t.is(codeOf(closed), 'ERR_LLMINIT_INVALID_INPUT')
    t.regex(closed!.message, /closed/)
  }
})

test.serial('StepBench batches like training: with one batch of every pair, step 1 is epoch 1 of train()', async (t) => {
  // The batch's order decides which negative each pair draws, so the loss matches only if the
  // bench walks the trainer's seeded permutation (the split lists pairs user by user).
  const { data, split } = await ml100kSplit()
  const batchSize = split.train.users.length
  const opts = { model: 'lightgcn', dim: 16, batchSize, threads: 1 } as const
  const bench = new StepBench(data.nUsers, data.nItems, split, opts)
  const step = bench.step()
  bench.close()
  const report = await train({ data: ML100K, ...opts, epochs: 1, seed: 2020 })
  t.is(report.dataset.stats.train, batchSize)
  t.is(step, report.history[0].loss)
})

test.serial('StepBench: the same seed gives the same losses; bad options are errors', async (t) => {
  const { data, split } = await ml100kSplit()
  const run = (threads: number) => {
    const bench = new StepBench(data.nUsers, data.nItems, split, { model: 'lightgcn', dim: 16, batchSize: 256, threads })
    return Array.from({ length: 3 }, () => bench.step())
  }
  t.deepEqual(run(1), run(2))
  const model = t.throws(() => new StepBench(data.nUsers, data.nItems, split, { model: 'sgl-x' }))
  t.is(codeOf(model), 'ERR_LLMINIT_INVALID_PARAM')
  t.regex(model!.message, /unknown model `sgl-x`/)
  t.is(codeOf(t.throws(() => new StepBench(data.nUsers, data.nItems, split, { batchSize: 0 }))), 'ERR_LLMINIT_INVALID_PARAM')
  const ids = t.throws(() => new StepBench(data.nUsers - 1, data.nItems, split))
  t.is(codeOf(ids), 'ERR_LLMINIT_INVALID_INPUT')
  t.regex(ids!.message, /user index 942 >= n_users 942/)
})
