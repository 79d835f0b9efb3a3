/**
 * The cold-start setting and user-activity buckets: halving each user's training interactions
 * (seeded, ⌈n/2⌉ kept, validation and test untouched), bucket ids on a hand-made example, per-bucket
 * metrics that add up to the overall ones, and the coldstart / collapse presets on tiny data.
 */
import test from 'ava'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { XMLValidator } from 'fast-xml-parser'
import { ACTIVITY_BUCKETS, activityGroups } from '../src/data/activity.js'
import { halveTraining } from '../src/data/halve.js'
import { loadInteractions, splitInteractions } from '../src/data/index.js'
import { expandGrid, runPlanned } from '../src/experiment/index.js'
import { coldstartConfig, collapseConfigs } from '../src/experiment/presets.js'
import { train } from '../src/train.js'
import { TINY_TRAIN, writeTinyExperimentData } from './experiment-helpers.js'
import { ML100K, tempDir } from './helpers.js'

function countsByUser(users: Uint32Array, nUsers: number): Uint32Array {
  const c = new Uint32Array(nUsers)
  for (const u of users) c[u]++
  return c
}

test('halving keeps ⌈n/2⌉ of each user’s training pairs, seeded, and leaves valid/test as they were', async (t) => {
  const data = await loadInteractions(ML100K)
  const split = splitInteractions(data, { mode: 'loo-random', seed: 7 })
  const half = halveTraining(split, 7)
  t.is(half.valid, split.valid)
  t.is(half.test, split.test)
  const before = countsByUser(split.train.users, data.nUsers)
  const after = countsByUser(half.train.users, data.nUsers)
  for (let u = 0; u < data.nUsers; u++) if (after[u] !== Math.ceil(before[u] / 2)) return t.fail(`user ${u}: ${before[u]} → ${after[u]}`)
  // Every kept pair is one of the user's training pairs (rows point back into the table).
  const pairs = new Set(Array.from(split.train.rows!, (r) => r))
  t.true(Array.from(half.train.rows!).every((r) => pairs.has(r)))
  t.true(half.train.users.every((u, j) => j === 0 || half.train.users[j - 1] <= u), 'users stay in id order')
  // Seeded: the same seed gives the same pairs, another seed other ones.
  t.deepEqual(halveTraining(split, 7).train.rows, half.train.rows)
  t.notDeepEqual(halveTraining(split, 8).train.rows, half.train.rows)
})

test('halving a hand-made split: 1 → 1, 2 → 1, 3 → 2, 5 → 3', (t) => {
  const users = Uint32Array.of(0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3)
  const items = Uint32Array.from(users, (_, j) => j)
  const empty = { users: new Uint32Array(0), items: new Uint32Array(0) }
  const half = halveTraining({ train: { users, items, rows: items.slice() }, valid: empty, test: empty }, 1)
  t.deepEqual(Array.from(countsByUser(half.train.users, 4)), [1, 1, 2, 3])
  t.deepEqual(Array.from(half.train.items), Array.from(half.train.rows!))
})

test('activity buckets: ≤5, 6–10, 11–20, >20 training interactions', (t) => {
  // Training counts per user: 0, 1, 5, 6, 10, 11, 20, 21.
  const counts = [0, 1, 5, 6, 10, 11, 20, 21]
  const users = Uint32Array.from(counts.flatMap((c, u) => Array.from({ length: c }, () => u)))
  t.deepEqual(Array.from(activityGroups(users, 8)), [0, 0, 0, 1, 1, 2, 2, 3])
  t.deepEqual(
    ACTIVITY_BUCKETS.map((b) => b.label),
    ['≤5', '6–10', '11–20', '>20'],
  )
})

test('per-bucket metrics partition the test users, average back to the overall metrics, and do not depend on threads', async (t) => {
  const r = await train({ data: ML100K, model: 'mf', epochs: 1, dim: 8, threads: 1 })
  t.is(r.byActivity.length, 4)
  t.is(
    r.byActivity.reduce((n, b) => n + b.testUsers, 0),
    r.dataset.stats.test,
  )
  for (const key of ['recall@10', 'ndcg@20', 'map@50']) {
    const weighted = r.byActivity.reduce((s, b) => s + (b.testUsers ? b.test[key] * b.testUsers : 0), 0) / r.dataset.stats.test
    t.true(Math.abs(weighted - r.test[key]) < 1e-12, `${key}: ${weighted} vs ${r.test[key]}`)
  }
  // Bit-for-bit the same with another thread count.
  const two = await train({ data: ML100K, model: 'mf', epochs: 1, dim: 8, threads: 2 })
  t.deepEqual(two.byActivity, r.byActivity)
  // ml-100k users have ≥ 20 ratings, so after leave-one-out nobody is in ≤5.
  t.is(r.byActivity[0].testUsers, 0)
  t.deepEqual(r.byActivity[0].test, {})
})

test('halveTrain: the report counts the halved training set and the same valid/test', async (t) => {
  const full = await train({ data: ML100K, model: 'mf', epochs: 1, dim: 8, threads: 1 })
  const half = await train({ data: ML100K, model: 'mf', epochs: 1, dim: 8, threads: 1, halveTrain: true })
  t.true(half.config.halveTrain)
  t.is(half.dataset.stats.valid, full.dataset.stats.valid)
  t.is(half.dataset.stats.test, full.dataset.stats.test)
  t.true(half.dataset.stats.train >= full.dataset.stats.train / 2 && half.dataset.stats.train < full.dataset.stats.train / 2 + full.dataset.stats.users)
})

test('coldstart and collapse presets run on tiny data and write their tables and charts', async (t) => {
  const dir = await tempDir(t)
  const { data, embeddings } = await writeTinyExperimentData(dir)
  const cold = coldstartConfig({ data, embeddings, model: 'mf', seeds: [1, 2], train: TINY_TRAIN, inits: ['none', 'var'], metrics: ['ndcg@2'] })
  t.true(cold.train.halveTrain)
  const coldOut = join(dir, 'cold')
  const runs = await runPlanned(expandGrid(cold), cold, { out: coldOut })
  t.is(runs.length, 4)
  t.true(runs.every((r) => r.report.config.halveTrain === true))
  const coldTable = await readFile(join(coldOut, 'table.md'), 'utf8')
  t.regex(coldTable, /halved training \(cold start\) true/)
  t.regex(coldTable, /## Test ndcg@2 by user activity/)
  t.is(XMLValidator.validate(await readFile(join(coldOut, 'charts', 'activity-tiny-exp.svg'), 'utf8')), true)

  const configs = collapseConfigs({ data, embeddings, model: 'mf', seeds: [1], train: TINY_TRAIN, init: 'uni', dims: [2, 4], width: 8, metrics: ['ndcg@2'] })
  const cells = configs.flatMap(expandGrid)
  t.deepEqual(
    cells.map((c) => c.id),
    ['tiny-exp__mf__random__dim=2__s1', 'tiny-exp__mf__uni__dim=2__s1', 'tiny-exp__mf__random__dim=4__s1', 'tiny-exp__mf__uni__dim=4__s1', 'tiny-exp__mf__random__dim=8__s1', 'tiny-exp__mf__full__dim=8__s1'],
  )
  const out = join(dir, 'collapse')
  await runPlanned(cells, configs[0], { out, collapse: true })
  const table = await readFile(join(out, 'table.md'), 'utf8')
  t.regex(table, /## Collapse: test ndcg@2 by embedding size d/)
  t.regex(table, /\n\| 8 \| [0-9.]+ \| [0-9.]+ \| full \| [+−][0-9.]+% \| [+\-0] \| n\/a \|/)
  const svg = await readFile(join(out, 'charts', 'collapse-ndcg-2.svg'), 'utf8')
  t.is(XMLValidator.validate(svg), true)
  for (const label of ['random', 'uni / full', '2', '4', '8']) t.true(svg.includes(`>${label}<`), label)
})

test('coldstart with a contrastive backbone trains SGL and SGCL on the halved training set', async (t) => {
  const dir = await tempDir(t)
  const { data, embeddings } = await writeTinyExperimentData(dir)
  const trained = new Map<string, number>()
  for (const model of ['mf', 'sgl', 'sgcl'] as const) {
    const cfg = coldstartConfig({ data, embeddings, model, seeds: [3], train: TINY_TRAIN, inits: ['none', 'pca'], metrics: ['ndcg@2'] })
    const runs = await runPlanned(expandGrid(cfg), cfg, { out: join(dir, model) })
    t.deepEqual(
      runs.map((r) => [r.report.config.model, r.report.config.init, r.report.config.halveTrain]),
      [
        [model, 'none', true],
        [model, 'pca', true],
      ],
    )
    for (const r of runs) t.true(Number.isFinite(r.report.test['ndcg@2']))
    trained.set(model, runs[0].report.dataset.stats.train)
  }
  // Each user keeps ⌈n/2⌉ whatever the backbone; the full training set is larger.
  const cold = coldstartConfig({ data, embeddings, model: 'mf', seeds: [3], train: TINY_TRAIN, inits: ['none'], metrics: ['ndcg@2'] })
  const full = { ...cold, train: { ...cold.train, halveTrain: false } }
  const [fullRun] = await runPlanned(expandGrid(full), full, { out: join(dir, 'full') })
  t.false(fullRun.report.config.halveTrain)
  t.true(trained.get('mf')! < fullRun.report.dataset.stats.train)
  t.is(trained.get('sgl'), trained.get('mf'))
  t.is(trained.get('sgcl'), trained.get('mf'))
})
