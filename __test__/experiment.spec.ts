/**
 * Experiments: config validation and grid expansion, the paired t-test against known values, the
 * Markdown table on known numbers, SVG charts, and resuming after an abort and after a killed
 * process.
 */
import test from 'ava'
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { checkExperimentConfig, estimateSeconds, expandGrid, runExperiment } from '../src/experiment/index.js'
import { resultsTable, significanceTable } from '../src/report/experiment-table.js'
import { resultsCsv } from '../src/report/results-files.js'
import { pairedTTest, studentTwoSidedP } from '../src/report/stats.js'
import { strategyBarsSpec, validationCurvesSpec, collapseCurveSpec } from '../src/report/charts.js'
import { renderSvg } from '../src/report/svg.js'
import { fakeRun, TINY_TRAIN, writeTinyExperimentData } from './experiment-helpers.js'
import { ML100K, REPO_ROOT, tempDir } from './helpers.js'

const BIN = join(REPO_ROOT, 'bin', 'llminit.js')

// ---------------------------------------------------------------------------------------------
// Config and grid

test('grid expansion: datasets × seeds × backbones × grid × arms × sources, none once per seed', async (t) => {
  const dir = await tempDir(t)
  const { data, embeddings } = await writeTinyExperimentData(dir)
  const cfg = checkExperimentConfig(
    {
      datasets: [{ name: 'a', data, embeddings: { m1: embeddings, m2: embeddings } }],
      backbones: ['mf', 'lightgcn'],
      inits: ['none', 'var', { init: 'pca', initScale: 'random-norm' }, { init: 'pca', initMix: 0.5 }],
      seeds: [1, 2],
      grid: { lr: [0.01, 0.001] },
      train: { epochs: 3 },
    },
    'exp.yaml',
    dir,
  )
  t.deepEqual(
    cfg.inits.map((a) => a.label),
    ['none', 'var', 'pca+random-norm', 'pca+mix0.5'],
  )
  const cells = expandGrid(cfg)
  // per seed × backbone × lr: none (1) + (var, pca+random-norm, pca+mix0.5) × 2 sources = 7 → 2·2·2·7 = 56
  t.is(cells.length, 56)
  t.like(cells.find((c) => c.arm === 'pca+mix0.5')?.config, { init: 'pca', initMix: 0.5 })
  t.is(cells.find((c) => c.arm === 'none')?.config.initMix, undefined, 'none never gets a mix')
  t.deepEqual(
    cells.slice(0, 5).map((c) => c.id),
    ['a__mf__none__lr=0.01__s1', 'a__mf__var-m1__lr=0.01__s1', 'a__mf__var-m2__lr=0.01__s1', 'a__mf__pca+random-norm-m1__lr=0.01__s1', 'a__mf__pca+random-norm-m2__lr=0.01__s1'],
  )
  t.is(new Set(cells.map((c) => c.id)).size, 56)
  const c = cells[3]
  t.like(c.config, { data, model: 'mf', init: 'pca', initScale: 'random-norm', embeddings, seed: 1, lr: 0.01, epochs: 3 })
  t.is(cells[0].config.embeddings, undefined)
  t.is(cfg.baseline, 'none')
  t.deepEqual(cfg.metrics, ['recall@10', 'ndcg@10', 'recall@20', 'ndcg@20'])
})

test('embedding sources: a file, or item text through a local model, a Hub model or an endpoint, as a grid axis', async (t) => {
  const dir = await tempDir(t)
  const { data, embeddings } = await writeTinyExperimentData(dir)
  const model = join(dir, 'minilm')
  await mkdir(model)
  const cfg = checkExperimentConfig(
    {
      datasets: [
        {
          name: 'a',
          data,
          embeddings: {
            mpnet: embeddings,
            minilm: { modelPath: 'minilm', template: '{title}', missingText: 'zero', cacheDir: 'cache' },
            api: { endpoint: 'http://localhost:9/v1', model: 'text-embedding-3-small' },
          },
        },
      ],
      inits: ['none', 'pca'],
    },
    'exp.yaml',
    dir,
  )
  const cells = expandGrid(cfg)
  t.deepEqual(
    cells.map((c) => c.id),
    ['a__lightgcn__none__s2020', 'a__lightgcn__pca-mpnet__s2020', 'a__lightgcn__pca-minilm__s2020', 'a__lightgcn__pca-api__s2020'],
  )
  t.is(cells[1].config.embeddings, embeddings)
  t.like(cells[2].config, { embedModelPath: model, embedTemplate: '{title}', embedMissingText: 'zero', embedCacheDir: join(dir, 'cache') })
  t.is(cells[2].config.embeddings, undefined)
  t.like(cells[3].config, { embedEndpoint: 'http://localhost:9/v1', embedModel: 'text-embedding-3-small' })
  t.deepEqual(
    cells.map((c) => c.source),
    [null, 'mpnet', 'minilm', 'api'],
  )

  const bad = (source: unknown) =>
    t.throws(() => checkExperimentConfig({ datasets: [{ data, embeddings: { s: source } }], inits: ['pca'] }, 'exp.yaml', dir), { code: 'ERR_LLMINIT_INVALID_OPTION' })?.message
  t.regex(bad({ file: embeddings, modelPath: 'minilm' }) ?? '', /datasets\[0\]\.embeddings\.s: name exactly one source/)
  t.regex(bad({ template: '{title}' }) ?? '', /embeddings\.s: name exactly one source/)
  t.regex(bad({ endpoint: 'http://localhost:9' }) ?? '', /embeddings\.s\.endpoint: needs model/)
  t.regex(bad({ modelPath: 'nowhere' }) ?? '', /embeddings\.s\.modelPath: not found: .*nowhere/)
  t.regex(bad({ modelPath: 'minilm', pooling: 'cls' }) ?? '', /embeddings\.s\.pooling: unknown key \(known: file, modelPath/)
  t.regex(bad({ modelPath: 'minilm', missingText: 'skip' }) ?? '', /embeddings\.s\.missingText: expected one of error, zero/)
  t.regex(bad({ file: embeddings, template: '{title}' }) ?? '', /a file source takes no text-embedding keys/)
  t.regex(bad(3) ?? '', /embeddings\.s: expected a file path or a mapping/)
})

test('config errors name the file and the key', async (t) => {
  const dir = await tempDir(t)
  const { data, embeddings } = await writeTinyExperimentData(dir)
  const bad = (raw: unknown) => t.throws(() => checkExperimentConfig(raw, 'exp.yaml', dir), { code: 'ERR_LLMINIT_INVALID_OPTION' })?.message
  t.regex(bad({ datasets: [data], seedz: [1] }) ?? '', /^exp\.yaml: seedz: unknown key/)
  t.regex(bad({ datasets: [{ data, embeddings }], inits: ['none', 'bogus'] }) ?? '', /^exp\.yaml: inits\[1\]: unknown strategy "bogus"/)
  t.regex(bad({ datasets: ['nowhere/at-all'] }) ?? '', /^exp\.yaml: datasets\[0\]\.data: dataset not found: .*nowhere\/at-all/)
  t.regex(bad({ datasets: [data], inits: ['var'] }) ?? '', /datasets\[0\]\.embeddings: dataset "tiny-exp" needs item vectors/)
  t.regex(bad({ datasets: [data], train: { seed: 3 } }) ?? '', /train\.seed: "seed" is set by the grid's axes/)
  t.regex(bad({ datasets: [{ data, embeddings }], grid: { initMix: [0, 0.5] } }) ?? '', /grid\.initMix: "initMix" is set by the grid's axes/)
  t.regex(bad({ datasets: [{ data, embeddings }], inits: [{ init: 'pca', initMix: 1 }] }) ?? '', /inits\[0\]\.initMix: expected a share in \[0, 1\)/)
  t.regex(bad({ datasets: [data], train: { epochz: 3 } }) ?? '', /train\.epochz: unknown training option "epochz"/)
  t.regex(bad({ datasets: [data], backbones: ['sgl9'] }) ?? '', /backbones\[0\]: unknown backbone "sgl9"/)
  t.regex(bad({ datasets: [data], baseline: 'pca' }) ?? '', /baseline: expected one of the arms \(none\)/)
  // A bad value reaches train's own validation at expansion time, naming the cell.
  const cfg = checkExperimentConfig({ datasets: [data], grid: { lr: [-1] } }, 'exp.yaml', dir)
  t.throws(() => expandGrid(cfg), { message: /^exp\.yaml: cell tiny-exp__lightgcn__none__lr=-1__s2020: option lr \(--lr\): must be ≥ 0/ })
})

test('YAML and JSON files: relative paths resolve against the file', async (t) => {
  const dir = await tempDir(t)
  await writeTinyExperimentData(dir)
  const yaml = join(dir, 'exp.yaml')
  await writeFile(yaml, 'datasets:\n  - data: tiny-exp\n    embeddings: tiny-exp.jsonl\ninits: [none, uni]\nseeds: [5]\n')
  const { readExperimentConfig } = await import('../src/experiment/index.js')
  const cfg = await readExperimentConfig(yaml)
  t.is(cfg.datasets[0].data, join(dir, 'tiny-exp'))
  t.deepEqual(cfg.datasets[0].embeddings.default, { embeddings: join(dir, 'tiny-exp.jsonl') })
  t.is(cfg.name, 'exp')
  await writeFile(join(dir, 'bad.yaml'), 'datasets: [a\n')
  await t.throwsAsync(readExperimentConfig(join(dir, 'bad.yaml')), { message: /bad\.yaml: not valid YAML/ })
})

// ---------------------------------------------------------------------------------------------
// Statistics

test("paired t-test: Student's sleep data (R: t = -4.0621, df = 9, p-value = 0.002833)", (t) => {
  // R> t.test(extra ~ group, data = sleep, paired = TRUE)  →  t = -4.0621, df = 9, p-value = 0.002833
  const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
  const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
  const r = pairedTTest(g1, g2)
  t.is(r.df, 9)
  t.true(Math.abs(r.meanDiff - -1.58) < 1e-12)
  t.true(Math.abs(r.t - -4.062127683) < 1e-8, String(r.t))
  t.true(Math.abs(r.p - 0.002832890) < 1e-8, String(r.p))
  t.is(r.signs, '----0-----')
})

test('two-sided t p-values match the closed forms for 1 and 2 degrees of freedom', (t) => {
  // df = 1 (Cauchy): p = 1 − (2/π)·atan|t|; df = 2: p = 1 − |t| / √(t² + 2).
  for (const x of [0.1, 0.5, 1, 2.5, 12.7062]) {
    t.true(Math.abs(studentTwoSidedP(x, 1) - (1 - (2 / Math.PI) * Math.atan(x))) < 1e-12)
    t.true(Math.abs(studentTwoSidedP(-x, 2) - (1 - x / Math.sqrt(x * x + 2))) < 1e-12)
  }
  // Two seeds by hand: d = (0.02, 0.04): mean 0.03, sd = √((0.01² + 0.01²)/1) = 0.0141421,
  // t = 0.03 / (0.0141421/√2) = 3, p = 1 − (2/π)·atan 3 = 0.204833.
  const r = pairedTTest([0.52, 0.54], [0.5, 0.5])
  t.true(Math.abs(r.t - 3) < 1e-9)
  t.true(Math.abs(r.p - 0.2048327646991335) < 1e-9)
  t.is(r.signs, '++')
  t.true(Number.isNaN(pairedTTest([1], [0]).p))
  t.is(pairedTTest([2, 3], [1, 2]).p, 0) // every difference +1: t = +∞
})

// ---------------------------------------------------------------------------------------------
// Tables

test('results table on known numbers: mean ± std, bold best, relative change, signs and marks', (t) => {
  const runs = [
    fakeRun('office', 'lightgcn', 'none', 1, { 'ndcg@10': 0.05 }),
    fakeRun('office', 'lightgcn', 'none', 2, { 'ndcg@10': 0.07 }),
    fakeRun('office', 'lightgcn', 'none', 3, { 'ndcg@10': 0.06 }),
    fakeRun('office', 'lightgcn', 'pca', 1, { 'ndcg@10': 0.06 }),
    fakeRun('office', 'lightgcn', 'pca', 2, { 'ndcg@10': 0.08 }),
    fakeRun('office', 'lightgcn', 'pca', 3, { 'ndcg@10': 0.07 }),
    fakeRun('office', 'lightgcn', 'rand', 1, { 'ndcg@10': 0.04 }),
    fakeRun('office', 'lightgcn', 'rand', 2, { 'ndcg@10': 0.08 }),
    fakeRun('office', 'lightgcn', 'rand', 3, { 'ndcg@10': 0.05 }),
  ]
  // none: mean 0.06, sd 0.01. pca: mean 0.07, sd 0.01, +16.7%; d = (0.01, 0.01, 0.01) → t = +∞, p = 0 (**).
  // rand: mean 0.17/3 = 0.05667, sd √((0.01667² + 0.02333² + 0.00667²)/2) = 0.02082, −5.6%;
  // d = (−0.01, +0.01, −0.01): mean −0.00333, sd 0.011547, t = −0.5, p = 0.6667 (df 2: 1 − 0.5/√2.25).
  const lines = resultsTable(runs, 'none', ['ndcg@10'])
  t.deepEqual(lines, [
    '| backbone | init | office ndcg@10 |',
    '|---|---|---|',
    '| lightgcn | none | 0.0600 ± 0.0100 |',
    '| lightgcn | pca | **0.0700** ± 0.0100 (+16.7%) +++** |',
    '| lightgcn | rand | 0.0567 ± 0.0208 (−5.6%) -+- |',
  ])
  const sig = significanceTable(runs, 'none', ['ndcg@10'])
  t.is(sig[3], '| office | lightgcn | rand | ndcg@10 | 3 | −0.0033 | -0.50 | 2 | 0.667 | -+- |')
  const csv = resultsCsv(runs).split('\n')
  t.is(csv[0].split(',').slice(0, 6).join(','), 'cell,dataset,backbone,init,source,seed')
  t.is(csv.length, 11) // header + 9 runs + final newline
})

// ---------------------------------------------------------------------------------------------
// Charts

function parseSvg(t: import('ava').ExecutionContext, svg: string): void {
  t.is(XMLValidator.validate(svg), true)
  const doc = new XMLParser({ ignoreAttributes: false }).parse(svg)
  t.truthy(doc.svg, 'root element is <svg>')
}

test('bar chart SVG parses as XML and carries every arm, the title and the axis', async (t) => {
  const runs = ['none', 'pca', 'var'].flatMap((arm, a) => [1, 2].map((s) => fakeRun('office', 'lightgcn', arm, s, { 'ndcg@10': 0.05 + 0.01 * a + 0.001 * s })))
  const svg = await renderSvg(strategyBarsSpec(runs, 'none', 'office', 'ndcg@10'))
  parseSvg(t, svg)
  for (const label of ['none', 'pca', 'var', 'lightgcn', 'test ndcg@10', 'office: test ndcg@10 by initialization (mean ± std over seeds)']) t.true(svg.includes(`>${label}<`), label)
  t.is((svg.match(/aria-roledescription="bar"/g) ?? []).length, 3, 'three bars')
  const curves = await renderSvg(validationCurvesSpec(runs, 'office', 'lightgcn'))
  parseSvg(t, curves)
  t.true(curves.includes('>validation ndcg@10<'))
  t.true(curves.includes('>epoch (0 = initial tables)<'))
  const collapse = await renderSvg(
    collapseCurveSpec(
      [32, 64, 768].flatMap((d) => [
        { d, series: 'random', mean: 0.05, std: 0.001 },
        { d, series: 'var', mean: 0.06, std: 0.002 },
      ]),
      'collapse',
      'ndcg@10',
    ),
  )
  parseSvg(t, collapse)
  for (const label of ['random', 'var', '32', '64', '768']) t.true(collapse.includes(`>${label}<`), label)
})

// ---------------------------------------------------------------------------------------------
// Running and resuming

test('an aborted experiment keeps its finished runs and a re-run skips them', async (t) => {
  const dir = await tempDir(t)
  const { data, embeddings } = await writeTinyExperimentData(dir)
  const cfg = checkExperimentConfig({ datasets: [{ name: 'tiny', data, embeddings }], backbones: ['mf'], inits: ['none', 'uni'], seeds: [1, 2], train: TINY_TRAIN, metrics: ['ndcg@2'] }, undefined, dir)
  const out = join(dir, 'out')
  const controller = new AbortController()
  let started = 0
  await t.throwsAsync(
    runExperiment(cfg, {
      out,
      charts: false,
      signal: controller.signal,
      onProgress: (e) => {
        // Abort once the second cell is under way: the first one is on disk.
        if (e.kind === 'cell-start' && ++started === 2) controller.abort()
      },
    }),
    { name: 'AbortError' },
  )
  const afterAbort = await readdir(join(out, 'runs'))
  t.deepEqual(afterAbort, ['tiny__mf__none__s1.json'])
  const first = await readFile(join(out, 'runs', afterAbort[0]), 'utf8')
  t.regex(await readFile(join(out, 'table.md'), 'utf8'), /Incomplete: 1 of 4 runs finished/)

  let plan: { finished: number } | undefined
  const runs = await runExperiment(cfg, { out, charts: false, onProgress: (e) => (e.kind === 'plan' ? (plan = e) : undefined) })
  t.is(plan?.finished, 1)
  t.is(runs.length, 4)
  t.is(await readFile(join(out, 'runs', afterAbort[0]), 'utf8'), first, 'the finished run was not run again')
  const table = await readFile(join(out, 'table.md'), 'utf8')
  t.regex(table, /4 of 4 runs finished/)
  t.regex(table, /\*\*epoch cap 2\*\*/)
  t.regex(table, /\| mf \| uni \| .* \(.\d+\.\d%\) [+\-0]{2}/)
  const json = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'))
  t.is(json.runs.length, 4)
  t.true((await readFile(join(out, 'results.csv'), 'utf8')).split('\n')[1].startsWith('tiny__mf__none__s1,tiny,mf,none,,1,'))

  // A changed setting is not silently mixed with old runs.
  const changed = { ...cfg, train: { ...cfg.train, epochs: 3 } }
  await t.throwsAsync(runExperiment(changed, { out, charts: false }), { message: /holds a run with other settings than cell tiny__mf__none__s1/ })
})

test('a killed experiment process resumes without losing or redoing finished runs', async (t) => {
  t.true(existsSync(join(REPO_ROOT, 'dist', 'cli', 'index.js')), 'dist/ is missing: run npx tsc -p tsconfig.json')
  const dir = await tempDir(t)
  const config = join(dir, 'exp.json')
  await writeFile(config, JSON.stringify({ datasets: [{ name: 'ml', data: ML100K }], backbones: ['mf'], inits: ['none'], seeds: [1, 2, 3], train: { epochs: 1, dim: 8, threads: 1 }, metrics: ['ndcg@10'] }))
  const out = join(dir, 'out')
  const args = [BIN, 'experiment', '--config', config, '--out', out, '--no-charts', '--quiet']
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: 'ignore' })
  const runsDir = join(out, 'runs')
  const finished = async () => (existsSync(runsDir) ? (await readdir(runsDir)).filter((f) => f.endsWith('.json')) : [])
  while ((await finished()).length === 0 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20))
  child.kill('SIGKILL')
  await new Promise((r) => child.once('close', r))
  const before = await finished()
  t.true(before.length >= 1 && before.length < 3, `killed after ${before.length} runs`)
  const saved = await Promise.all(before.map((f) => readFile(join(runsDir, f), 'utf8')))
  for (const s of saved) t.notThrows(() => JSON.parse(s), 'every run file is whole')

  const rerun = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
    execFile(process.execPath, args.filter((a) => a !== '--quiet'), { cwd: REPO_ROOT }, (err, _o, stderr) => resolve({ code: err ? (err.code as number) : 0, stderr })),
  )
  t.is(rerun.code, 0, rerun.stderr)
  t.regex(rerun.stderr, new RegExp(`3 runs in the grid; ${before.length} already finished`))
  t.is((await finished()).length, 3)
  for (const [i, f] of before.entries()) t.is(await readFile(join(runsDir, f), 'utf8'), saved[i], `${f} untouched`)
})

test('the ETA: mean time of finished runs with the same dataset, backbone and d, else scaled by d from the same backbone, dataset, or all', (t) => {
  type C = Parameters<typeof estimateSeconds>[0][number]
  const cell = (dataset: string, backbone = 'lightgcn', dim?: number) => ({ dataset, backbone, config: { data: dataset, ...(dim ? { dim } : {}) } }) as C
  const done = [
    { cell: cell('a'), seconds: 10 },
    { cell: cell('a'), seconds: 20 },
    { cell: cell('b'), seconds: 60 },
  ]
  // a: 15 each; c (never run): the overall mean 30.
  t.is(estimateSeconds([cell('a'), cell('a'), cell('c')], done), 15 + 15 + 30)
  // Another backbone on a: a's mean; d = 512 instead of the default 128 on a: 4 × 15.
  t.is(estimateSeconds([cell('a', 'sgl'), cell('a', 'lightgcn', 512)], done), 15 + 60)
  // Once sgl has run on a at d = 64 (8 s), sgl at d = 64 costs 8 and at d = 32 costs 4.
  const more = [...done, { cell: cell('a', 'sgl', 64), seconds: 8 }]
  t.is(estimateSeconds([cell('a', 'sgl', 64), cell('a', 'sgl', 32)], more), 8 + 4)
  t.true(Number.isNaN(estimateSeconds([cell('a')], [])))
  // A `full` arm trains at the vectors' width: priced at config.dim until a run on the same
  // dataset and source has loaded them (here 768-d, so 6 × a's 15 s at d = 128).
  const full = { ...cell('a'), source: 'mpnet', config: { data: 'a', init: 'full' } } as C
  t.is(estimateSeconds([full], done), 15)
  const loaded = [...done, { cell: { ...cell('x'), source: 'mpnet' } as C, seconds: 1, vectorDim: 768 }]
  t.is(estimateSeconds([full], [...loaded, { cell: { ...cell('a'), source: 'mpnet', config: { data: 'a', init: 'pca' } } as C, seconds: 15, vectorDim: 768 }]), 90)
  // Another dataset's vectors say nothing about a's.
  t.is(estimateSeconds([full], loaded), 15)
})

test('llminit experiment: a bad config exits 2 naming the file and key; --dry-run lists the cells', async (t) => {
  const dir = await tempDir(t)
  await writeTinyExperimentData(dir)
  const run = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [BIN, 'experiment', ...args], { cwd: REPO_ROOT }, (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stdout, stderr })),
    )
  const bad = join(dir, 'bad.yaml')
  await writeFile(bad, 'datasets: [tiny-exp]\ninits: [none, pcaa]\n')
  const r = await run('--config', bad, '--out', join(dir, 'out'))
  t.is(r.code, 2, r.stderr)
  t.regex(r.stderr, /bad\.yaml: inits\[1\]: unknown strategy "pcaa"/)
  const good = join(dir, 'good.yaml')
  await writeFile(good, 'datasets: [tiny-exp]\nseeds: [1, 2]\ngrid: {dim: [4, 8]}\n')
  const d = await run('--config', good, '--out', join(dir, 'out'), '--dry-run', '--max-epochs', '3')
  t.is(d.code, 0, d.stderr)
  t.deepEqual(d.stdout.trim().split('\n'), ['tiny-exp__lightgcn__none__dim=4__s1', 'tiny-exp__lightgcn__none__dim=8__s1', 'tiny-exp__lightgcn__none__dim=4__s2', 'tiny-exp__lightgcn__none__dim=8__s2'])
  t.false(existsSync(join(dir, 'out')))
})

test('examples/quick.yaml, paper.yaml and encoders.yaml parse and expand (paths relative to the files)', async (t) => {
  const { readExperimentConfig } = await import('../src/experiment/index.js')
  const quick = expandGrid(await readExperimentConfig(join(REPO_ROOT, 'examples', 'quick.yaml')))
  t.deepEqual(
    quick.map((c) => c.id),
    ['office__lightgcn__none__s2020', 'office__lightgcn__pca__s2020', 'office__lightgcn__none__s2021', 'office__lightgcn__pca__s2021'],
  )
  t.is(quick[1].config.embeddings, join(REPO_ROOT, '..', 'shared', 'data', 'amazon-office', 'amazon-office.mpnet.parquet'))
  t.is(quick[0].config.epochs, 20)
  const paper = expandGrid(await readExperimentConfig(join(REPO_ROOT, 'examples', 'paper.yaml')))
  t.is(paper.length, 2 * 3 * 2 * 5)
  t.deepEqual([...new Set(paper.map((c) => c.arm))], ['none', 'rand', 'uni', 'var', 'pca'])
  t.deepEqual([...new Set(paper.map((c) => c.dataset))], ['office', 'beauty'])
  t.deepEqual([...new Set(paper.map((c) => c.backbone))], ['lightgcn', 'sgcl'])
  const encoders = expandGrid(await readExperimentConfig(join(REPO_ROOT, 'examples', 'encoders.yaml')))
  t.deepEqual([...new Set(encoders.map((c) => c.arm + (c.source ? `@${c.source}` : '')))], ['none', 'pca@mpnet', 'pca@minilm'])
  t.is(encoders.find((c) => c.source === 'minilm')?.config.embedModelPath, join(REPO_ROOT, '..', 'shared', 'models', 'all-MiniLM-L6-v2'))
})

test('Ctrl-C (SIGINT) stops an experiment with exit code 130, keeps finished runs and marks the table incomplete', async (t) => {
  const dir = await tempDir(t)
  const config = join(dir, 'exp.json')
  await writeFile(config, JSON.stringify({ datasets: [{ name: 'ml', data: ML100K }], backbones: ['mf'], seeds: [1, 2, 3, 4], train: { epochs: 2, dim: 8, threads: 1 }, metrics: ['ndcg@10'] }))
  const out = join(dir, 'out')
  const child = spawn(process.execPath, [BIN, 'experiment', '--config', config, '--out', out, '--no-charts', '--quiet'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  const runsDir = join(out, 'runs')
  const finished = async () => (existsSync(runsDir) ? (await readdir(runsDir)).filter((f) => f.endsWith('.json')) : [])
  while ((await finished()).length === 0 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20))
  child.kill('SIGINT')
  const code = await new Promise<number | null>((r) => child.once('close', r))
  const kept = await finished()
  t.is(code, 130, stderr)
  t.regex(stderr, /interrupted: stopping at the next batch/)
  t.true(kept.length >= 1 && kept.length < 4, `${kept.length} runs kept`)
  t.regex(await readFile(join(out, 'table.md'), 'utf8'), new RegExp(`Incomplete: ${kept.length} of 4 runs finished`))
})
