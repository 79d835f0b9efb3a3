/**
 * End-to-end tests of the TypeScript API `train()` on real data (MovieLens-100k), and of the
 * generated binding's input checks. Training tests run serially so that they do not compete for
 * the two cores; epochs are capped so the file runs in well under a minute.
 */
import test from 'ava'
import { join } from 'node:path'
import { trainModel } from '../index.js'
import { loadInteractions, splitInteractions } from '../src/data/index.js'
import { LlminitError } from '../src/errors.js'
import { train, type TrainConfig, type TrainProgress, type TrainReport } from '../src/index.js'
import { trainData } from '../src/train.js'
import { e2eFixture, ML100K, popularityNdcg, tempDir } from './helpers.js'

const METRICS = ['recall', 'ndcg', 'mrr', 'hit', 'precision', 'map'] as const
const KS = [10, 20, 50] as const
/** A cheap run: MF is ~0.05 s/epoch on ml-100k. */
const QUICK: TrainConfig = { data: ML100K, model: 'mf', dim: 16, epochs: 2, threads: 2 }

// ---------------------------------------------------------------------------------------------
// 1. End to end against an independent popularity baseline

test.serial('LightGCN on ml-100k beats most-popular; the report has the documented shape', async (t) => {
  const dim = 128
  const events: TrainProgress[] = []
  const report = await train(
    { data: ML100K, model: 'lightgcn', dim, epochs: 3, patience: 100, threads: 2 },
    { onProgress: (e) => events.push(e) },
  )

  // The baseline uses the split the report says it used, recomputed here from the raw data.
  const data = await loadInteractions(ML100K)
  const split = splitInteractions(data, { mode: report.config.split, seed: report.config.seed })
  const popular = popularityNdcg(data.nItems, split, 10)
  const model = report.test['ndcg@10']
  t.log(`test NDCG@10: LightGCN d=${dim} 3 epochs ${model.toFixed(4)}, most-popular ${popular.toFixed(4)}, ratio ${(model / popular).toFixed(2)}`)
  t.true(popular > 0.02, `the baseline is a real baseline (${popular})`)
  t.true(model >= 1.1 * popular, `LightGCN ${model} should beat most-popular ${popular} by ≥ 10%`)

  t.is(report.protocol, 'standard')
  t.is(report.config.model, 'lightgcn')
  t.is(report.config.layers, 2, 'defaults are filled in the reported config')
  t.is(report.dataset.name, 'ml-100k')
  t.deepEqual(report.dataset.stats, {
    users: 943,
    items: 1682,
    interactions: 100000,
    density: 100000 / (943 * 1682),
    train: 100000 - 2 * 943,
    valid: 943,
    test: 943,
  })
  for (const part of ['valid', 'test'] as const) {
    for (const m of METRICS) {
      for (const k of KS) {
        const key = `${part}.${m}@${k}`
        t.is(typeof report.metrics[key], 'number', key)
        t.is(report.metrics[key], report[part][`${m}@${k}`], key)
        t.true(report.metrics[key] >= 0 && report.metrics[key] <= 1, `${key} = ${report.metrics[key]}`)
      }
    }
  }
  t.is(Object.keys(report.metrics).length, 2 * METRICS.length * KS.length)

  t.is(report.epochsRun, 3)
  t.is(report.history.length, report.epochsRun)
  t.deepEqual(report.history.map((h) => h.epoch), [1, 2, 3])
  t.false(report.stoppedEarly)
  t.true(report.bestEpoch >= 1 && report.bestEpoch <= report.epochsRun, `bestEpoch ${report.bestEpoch}`)
  const best = report.history[report.bestEpoch - 1]
  t.is(best.valid, Math.max(...report.history.map((h) => h.valid)), 'the best epoch has the best validation score')
  t.is(report.valid['ndcg@10'], best.valid, 'reported validation metrics are those of the best epoch')
  for (const h of report.history) t.true(Number.isFinite(h.loss) && h.loss > 0, `loss ${h.loss}`)
  t.true(report.history[2].loss < report.history[0].loss, 'the loss goes down')

  t.is(report.model.name, 'lightgcn')
  t.is(report.model.parameters, (943 + 1682) * dim)
  t.true(report.peakRssMB > 0)
  t.true(report.timings.totalSeconds >= report.timings.trainSeconds)

  t.deepEqual(
    events.filter((e) => e.kind === 'stage').map((e) => e.kind === 'stage' && e.stage),
    ['load', 'split', 'train'],
  )
  const epochs = events.filter((e): e is Extract<TrainProgress, { kind: 'epoch' }> => e.kind === 'epoch')
  t.deepEqual(epochs.map((e) => e.record), report.history, 'epoch events carry the history records')
  t.true(events.some((e) => e.kind === 'batch'))
})

// ---------------------------------------------------------------------------------------------
// 2. Metric identities that hold under leave-one-out (one target item per user)

test.serial('leave-one-out metric identities: recall = hit, precision = recall/K, mrr = map, monotone in K', async (t) => {
  const report = await train(QUICK)
  const m = report.test
  t.log(`MF d=16 2 epochs: test recall@10 ${m['recall@10'].toFixed(4)} ndcg@10 ${m['ndcg@10'].toFixed(4)}`)
  t.true(m['recall@10'] > 0, 'not a degenerate all-zero evaluation')
  for (const part of [report.valid, report.test]) {
    for (const k of KS) {
      t.is(part[`recall@${k}`], part[`hit@${k}`], `recall@${k} = hit@${k}`)
      t.true(Math.abs(part[`precision@${k}`] - part[`recall@${k}`] / k) < 1e-12, `precision@${k} = recall@${k}/${k}`)
      t.true(Math.abs(part[`mrr@${k}`] - part[`map@${k}`]) < 1e-12, `mrr@${k} = map@${k}`)
      // One target at rank r: 1/(r+1) ≤ 1/log2(r+2) ≤ 1.
      t.true(part[`mrr@${k}`] <= part[`ndcg@${k}`] && part[`ndcg@${k}`] <= part[`recall@${k}`], `mrr ≤ ndcg ≤ recall @${k}`)
    }
    for (const name of ['recall', 'ndcg', 'mrr']) {
      t.true(part[`${name}@10`] <= part[`${name}@20`] && part[`${name}@20`] <= part[`${name}@50`], `${name} is monotone in K`)
    }
  }
})

// ---------------------------------------------------------------------------------------------
// 3. Determinism

test.serial('a seed reproduces a run bit for bit whatever the thread count; another seed does not', async (t) => {
  const config: TrainConfig = { data: ML100K, model: 'lightgcn', dim: 16, epochs: 2, patience: 100 }
  const one = await train({ ...config, threads: 1 })
  const two = await train({ ...config, threads: 2 })
  t.deepEqual(two.test, one.test)
  t.deepEqual(two.valid, one.valid)
  t.deepEqual(
    two.history.map((h) => h.loss),
    one.history.map((h) => h.loss),
  )
  t.deepEqual(
    two.history.map((h) => h.valid),
    one.history.map((h) => h.valid),
  )

  const other = await train({ ...config, threads: 2, seed: 7 })
  t.notDeepEqual(other.test, one.test)
  t.not(other.history[0].loss, one.history[0].loss)
})

// ---------------------------------------------------------------------------------------------
// 4. The reference protocol

test.serial('protocol reference runs, is named in the report, and evaluates differently from standard', async (t) => {
  const standard = await train(QUICK)
  const reference = await train({ ...QUICK, protocol: 'reference' })
  t.is(reference.protocol, 'reference')
  t.is(reference.config.protocol, 'reference')
  t.is(standard.protocol, 'standard')
  const s = standard.valid['ndcg@10']
  const r = reference.valid['ndcg@10']
  t.log(`MF d=16 2 epochs, valid NDCG@10: standard ${s.toFixed(4)}, reference ${r.toFixed(4)}`)
  t.true(Number.isFinite(r) && r >= 0)
  t.not(r, s)
})

// ---------------------------------------------------------------------------------------------
// 5. Abort

test.serial('aborting from onProgress at the first batch rejects with an AbortError before any epoch ends', async (t) => {
  const controller = new AbortController()
  let batches = 0
  let epochs = 0
  let trainStage = false
  const run = train(
    // ~1 s per epoch: aborting at the first batch must stop well before the first epoch ends.
    { data: ML100K, model: 'lightgcn', dim: 32, epochs: 20, threads: 2 },
    {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'stage' && e.stage === 'train') trainStage = true
        if (e.kind === 'epoch') epochs++
        if (e.kind === 'batch' && batches++ === 0) controller.abort()
      },
    },
  )
  const err = await t.throwsAsync(run)
  t.is(err?.name, 'AbortError')
  t.is((err as Error & { code?: string })?.code, 'ABORT_ERR')
  t.true(trainStage, 'the abort happened during training')
  t.true(batches >= 1)
  t.is(epochs, 0, 'no epoch completed after the abort')
})

test('an already-aborted signal rejects before loading anything', async (t) => {
  const controller = new AbortController()
  controller.abort()
  const events: TrainProgress[] = []
  // The path does not exist: reaching the loader would fail with ERR_LLMINIT_IO instead.
  const err = await t.throwsAsync(
    train({ data: join(ML100K, 'does-not-exist'), model: 'mf' }, { signal: controller.signal, onProgress: (e) => events.push(e) }),
  )
  t.is(err?.name, 'AbortError')
  t.is((err as Error & { code?: string })?.code, 'ABORT_ERR')
  t.deepEqual(events, [])
})

// ---------------------------------------------------------------------------------------------
// 6. A throwing progress callback

test.serial('an onProgress that throws does not break training or change its result', async (t) => {
  let calls = 0
  let epochs = 0
  const report = await train(QUICK, {
    onProgress: (e) => {
      calls++
      if (e.kind === 'epoch') epochs++
      throw new Error('callback failure')
    },
  })
  t.true(calls > 0)
  t.is(epochs, 2, 'every epoch event was still delivered')
  t.is(report.epochsRun, 2)
  const quiet: TrainReport = await train(QUICK)
  t.deepEqual(report.test, quiet.test)
})

// ---------------------------------------------------------------------------------------------
// 7. Bad input through the API

const badOptions: Array<[string, Record<string, unknown>, RegExp]> = [
  ['unknown option key', { data: ML100K, epoch: 3 }, /unknown option "epoch"/],
  ['model foo', { data: ML100K, model: 'foo' }, /option model .*foo/],
  ['dim 0', { data: ML100K, dim: 0 }, /option dim \(--dim\)/],
  ['lr -1', { data: ML100K, lr: -1 }, /option lr \(--lr\)/],
  ['epochs 1.5', { data: ML100K, epochs: 1.5 }, /option epochs \(--epochs\).*integer/],
  ['validMetric ndcg@7 with default ks', { data: ML100K, validMetric: 'ndcg@7' }, /option validMetric \(--valid-metric\).*ndcg@7/],
  ['no data', { model: 'mf' }, /option data \(--data\)/],
]

for (const [title, config, message] of badOptions) {
  test(`bad option (${title}) → ERR_LLMINIT_INVALID_OPTION`, async (t) => {
    const err = await t.throwsAsync(train(config as unknown as TrainConfig), { instanceOf: LlminitError, message })
    t.is((err as LlminitError).code, 'ERR_LLMINIT_INVALID_OPTION')
  })
}

test('a missing data path → ERR_LLMINIT_IO naming the path', async (t) => {
  const missing = join(await tempDir(t), 'no-such-dataset')
  const err = await t.throwsAsync(train({ data: missing }), { instanceOf: LlminitError })
  t.is((err as LlminitError).code, 'ERR_LLMINIT_IO')
  t.true(err!.message.includes(missing), err!.message)
})

test('a malformed header → ERR_LLMINIT_DATA naming file:1 and the field', async (t) => {
  const file = e2eFixture('bad-header.inter')
  const err = await t.throwsAsync(train({ data: file, model: 'mf' }), { instanceOf: LlminitError })
  t.is((err as LlminitError).code, 'ERR_LLMINIT_DATA')
  t.true(err!.message.startsWith(`${file}:1`), err!.message)
  t.regex(err!.message, /item_id/)
})

test('a malformed row → ERR_LLMINIT_DATA naming file:line and the column', async (t) => {
  const file = e2eFixture('bad-rating.inter')
  const err = await t.throwsAsync(train({ data: file, model: 'mf' }), { instanceOf: LlminitError })
  t.is((err as LlminitError).code, 'ERR_LLMINIT_DATA')
  t.true(err!.message.startsWith(`${file}:4`), err!.message)
  t.regex(err!.message, /rating.*five/)
})

test.serial('a parameter the core rejects (ks beyond the item count) → LlminitError ERR_LLMINIT_INVALID_PARAM', async (t) => {
  const err = await t.throwsAsync(train({ ...QUICK, ks: [5000], validMetric: 'ndcg@5000' }), { instanceOf: LlminitError })
  t.is((err as LlminitError).code, 'ERR_LLMINIT_INVALID_PARAM')
  t.regex(err!.message, /ks/)
  t.false(err!.message.startsWith('['), 'the [CODE] prefix is lifted into .code')
})

// ---------------------------------------------------------------------------------------------
// 8. The generated binding, called directly

const u32 = (values: number[]) => Uint32Array.from(values)
const tiny = {
  nUsers: 3,
  nItems: 4,
  trainUsers: u32([0, 1, 2, 0]),
  trainItems: u32([0, 1, 2, 1]),
  validUsers: u32([0]),
  validItems: u32([3]),
  testUsers: u32([0]),
  testItems: u32([2]),
}

test('native trainModel: a user index ≥ nUsers → [ERR_LLMINIT_INVALID_INPUT] naming the index', async (t) => {
  const err = await t.throwsAsync(async () => trainModel({ ...tiny, trainUsers: u32([0, 1, 5, 0]) }, { model: 'mf', dim: 4, epochs: 1 }))
  t.true(err!.message.startsWith('[ERR_LLMINIT_INVALID_INPUT]'), err!.message)
  t.regex(err!.message, /user index 5\b/)
  t.regex(err!.message, /interaction 2\b/)
})

test('native trainModel: an item index ≥ nItems → [ERR_LLMINIT_INVALID_INPUT] naming the index', async (t) => {
  const err = await t.throwsAsync(async () => trainModel({ ...tiny, testItems: u32([9]) }, { model: 'mf', dim: 4, epochs: 1 }))
  t.true(err!.message.startsWith('[ERR_LLMINIT_INVALID_INPUT]'), err!.message)
  t.regex(err!.message, /item index 9\b/)
})

test('native trainModel: arrays of different lengths → [ERR_LLMINIT_INVALID_INPUT]', async (t) => {
  const err = await t.throwsAsync(async () => trainModel({ ...tiny, trainItems: u32([0, 1]) }, { model: 'mf', dim: 4, epochs: 1 }))
  t.true(err!.message.startsWith('[ERR_LLMINIT_INVALID_INPUT]'), err!.message)
  t.regex(err!.message, /\b2\b.*\b4\b|\b4\b.*\b2\b/)
})

test('native trainModel: ks [5000] on ml-100k → [ERR_LLMINIT_INVALID_PARAM]', async (t) => {
  const data = await loadInteractions(ML100K)
  const split = splitInteractions(data, { mode: 'loo-random', seed: 2020 })
  const err = await t.throwsAsync(async () =>
    trainModel(trainData(data.nUsers, data.nItems, split), { model: 'mf', dim: 4, epochs: 1, ks: [5000], validMetric: 'ndcg@5000' }),
  )
  t.true(err!.message.startsWith('[ERR_LLMINIT_INVALID_PARAM]'), err!.message)
  t.regex(err!.message, /5000/)
  t.regex(err!.message, /1682/)
})
