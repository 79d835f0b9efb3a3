/**
 * End-to-end tests of the `llminit` command, run as a child process (`node bin/llminit.js …`,
 * which runs the compiled `dist/`: build it first with `npx tsc -p tsconfig.json`).
 */
import test from 'ava'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { optionsMarkdown, TRAIN_OPTIONS } from '../src/options.js'
import { e2eFixture, ML100K, REPO_ROOT, runCli, tempDir } from './helpers.js'

const BIN = join(REPO_ROOT, 'bin', 'llminit.js')
const QUICK = ['--data', ML100K, '--model', 'mf', '--epochs', '2', '--dim', '16', '--threads', '2']

const llminit = runCli

test.before('the CLI is built', (t) => {
  t.true(existsSync(join(REPO_ROOT, 'dist', 'cli', 'index.js')), 'dist/ is missing: run npx tsc -p tsconfig.json')
})

// ---------------------------------------------------------------------------------------------
// Help

test('--help exits 0 and lists the train command and the exit codes', async (t) => {
  const r = await llminit('--help')
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /^Usage: llminit/m)
  t.regex(r.stdout, /^\s+train \[options\]/m)
  t.regex(r.stdout, /Exit codes: 0 ok.*2 bad option, 3 bad data.*130 interrupted/)
})

test('train --help exits 0 and lists every flag of the options table', async (t) => {
  const r = await llminit('train', '--help')
  t.is(r.code, 0, r.stderr)
  for (const spec of TRAIN_OPTIONS) t.true(r.stdout.includes(`  ${spec.flag} `), `train --help lists ${spec.flag}`)
  for (const flag of ['--json', '--out <file>', '--quiet']) t.true(r.stdout.includes(`  ${flag} `), `train --help lists ${flag}`)
})

test('coldstart and collapse offer every backbone and strategy and reject unknown ones, or inits without vectors, with exit 2', async (t) => {
  for (const command of ['coldstart', 'collapse']) {
    const help = await llminit(command, '--help')
    t.is(help.code, 0, help.stderr)
    // Commander wraps the help at 80 columns.
    t.regex(help.stdout.replace(/\s+/g, ' '), /--model <model> backbone \(choices: "mf", "lightgcn", "sgl", "sgcl", "simgcl", "xsimgcl"/, command)
    const bad = await llminit(command, '--data', ML100K, '--out', join(await tempDir(t), 'o'), '--model', 'gru4rec')
    t.is(bad.code, 2, bad.stderr)
    t.regex(bad.stderr, /'gru4rec' is invalid/, command)
  }
  const bad = await llminit('collapse', '--data', ML100K, '--out', join(await tempDir(t), 'o'), '--init', 'none')
  t.is(bad.code, 2, bad.stderr)
  t.regex(bad.stderr, /--init <strategy>' argument 'none' is invalid/)
  const unknown = await llminit('coldstart', '--data', ML100K, '--out', join(await tempDir(t), 'o'), '--inits', 'none,foo')
  t.is(unknown.code, 2, unknown.stderr)
  t.regex(unknown.stderr, /--inits: unknown strategy "foo" \(known: none, rand, uni, var, full, pca, whiten\)/)
  const vectors = await llminit('coldstart', '--data', ML100K, '--out', join(await tempDir(t), 'o'), '--inits', 'none,var,pca')
  t.is(vectors.code, 2, vectors.stderr)
  t.regex(vectors.stderr, /--inits var,pca initialize from LLM item vectors: give them with --embeddings <file>/)
})

test('--version prints the package version', async (t) => {
  const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8'))
  const r = await llminit('--version')
  t.is(r.code, 0)
  t.is(r.stdout.trim(), version)
})

// ---------------------------------------------------------------------------------------------
// Output

test.serial('train --json --out: stdout is the JSON report and equals the file', async (t) => {
  const out = join(await tempDir(t), 'r.json')
  const r = await llminit('train', ...QUICK, '--json', '--out', out)
  t.is(r.code, 0, r.stderr)
  const printed = JSON.parse(r.stdout)
  const written = JSON.parse(await readFile(out, 'utf8'))
  t.deepEqual(printed, written)
  t.is(printed.protocol, 'standard')
  t.is(printed.config.model, 'mf')
  t.is(printed.config.dim, 16, 'flag values reach the report as numbers')
  t.deepEqual(printed.config.ks, [10, 20, 50], 'list defaults are parsed too')
  t.is(printed.epochsRun, 2)
  t.is(printed.dataset.stats.users, 943)
  for (const key of ['recall@10', 'ndcg@10', 'hit@50', 'map@20']) t.is(typeof printed.test[key], 'number', key)
  t.true(printed.test['recall@10'] > 0)
  t.regex(r.stderr, /^epoch\s+1\b/m, 'progress goes to stderr')
})

test.serial('train without --json prints the metric tables and the protocol', async (t) => {
  const r = await llminit('train', ...QUICK, '--protocol', 'reference')
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /^ml-100k: 943 users, 1682 items, 100000 interactions/m)
  t.regex(r.stdout, /protocol=reference/)
  t.regex(r.stdout, /^valid\s+@10\s+@20\s+@50$/m)
  t.regex(r.stdout, /^test\s+@10\s+@20\s+@50$/m)
  for (const name of ['recall', 'ndcg', 'mrr', 'hit', 'precision', 'map']) {
    const rows = r.stdout.match(new RegExp(`^${name}(\\s+\\d\\.\\d{4}){3}$`, 'gm')) ?? []
    t.is(rows.length, 2, `a ${name} row in the valid and the test table`)
  }
  t.throws(() => JSON.parse(r.stdout))
})

// ---------------------------------------------------------------------------------------------
// Exit codes

const usageErrors: Array<[string, string[], RegExp]> = [
  ['--dim abc', ['--data', ML100K, '--dim', 'abc'], /--dim/],
  ['--dim 0', ['--data', ML100K, '--dim', '0'], /--dim/],
  ['--model foo', ['--data', ML100K, '--model', 'foo'], /--model/],
  ['--epochs 1.5', ['--data', ML100K, '--epochs', '1.5'], /--epochs/],
  ['--valid-metric ndcg@7', ['--data', ML100K, '--valid-metric', 'ndcg@7'], /--valid-metric/],
  ['--no-such-flag', ['--data', ML100K, '--no-such-flag'], /--no-such-flag/],
  ['missing --data', ['--model', 'mf'], /--data/],
]

for (const [title, args, message] of usageErrors) {
  test(`exit 2 on a bad flag: ${title}`, async (t) => {
    const r = await llminit('train', ...args)
    t.is(r.code, 2, r.stderr)
    t.regex(r.stderr, message)
    t.is(r.stdout, '')
  })
}

test.serial('exit 2 when the core rejects a parameter (--ks 5000 on 1682 items)', async (t) => {
  const r = await llminit('train', ...QUICK, '--ks', '5000', '--valid-metric', 'ndcg@5000')
  t.is(r.code, 2, r.stderr)
  t.regex(r.stderr, /ks.*5000/)
})

test('exit 3 on a malformed header, naming file:1', async (t) => {
  const file = e2eFixture('bad-header.inter')
  const r = await llminit('train', '--data', file, '--model', 'mf')
  t.is(r.code, 3, r.stderr)
  t.true(r.stderr.includes(`${file}:1`), r.stderr)
  t.is(r.stdout, '')
})

test('exit 3 on a malformed row, naming file:line', async (t) => {
  const file = e2eFixture('bad-rating.inter')
  const r = await llminit('train', '--data', file, '--model', 'mf')
  t.is(r.code, 3, r.stderr)
  t.true(r.stderr.includes(`${file}:4`), r.stderr)
})

test('exit 3 on a missing data path, naming it', async (t) => {
  const missing = join(await tempDir(t), 'nope')
  const r = await llminit('train', '--data', missing)
  t.is(r.code, 3, r.stderr)
  t.true(r.stderr.includes(missing), r.stderr)
})

test.serial('SIGINT during training: exit 130 and no --out file', async (t) => {
  const out = join(await tempDir(t), 'r.json')
  // LightGCN at ~1 s/epoch for 50 epochs: the run is far from done when it is interrupted.
  const child = spawn(
    process.execPath,
    [BIN, 'train', '--data', ML100K, '--model', 'lightgcn', '--dim', '32', '--epochs', '50', '--threads', '2', '--out', out],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stderr = ''
  let stdout = ''
  let interrupted = false
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    if (!interrupted && /^epoch\s+1\b/m.test(stderr)) {
      interrupted = true
      child.kill('SIGINT')
    }
  })
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  )
  t.true(interrupted, `the run ended before its first epoch line: ${stderr}`)
  t.is(signal, null, 'the process handled SIGINT instead of dying of it')
  t.is(code, 130, stderr)
  t.regex(stderr, /interrupted/)
  t.regex(stderr, /llminit: aborted/)
  t.false(/^epoch\s+2\b/m.test(stderr), 'training stopped within the epoch it was interrupted in')
  t.false(existsSync(out), 'no report is written for an interrupted run')
  t.is(stdout, '')
})

// ---------------------------------------------------------------------------------------------
// README

test('the README options table is the one generated from the options table', async (t) => {
  const readme = join(REPO_ROOT, 'README.md')
  const lines = (await readFile(readme, 'utf8')).split(/\r?\n/)
  const start = lines.findIndex((l) => l.startsWith('| CLI flag |'))
  t.true(start >= 0, 'README.md has the options table (regenerate with npm run docs:options)')
  let end = start
  while (end < lines.length && lines[end].startsWith('|')) end++
  t.is(lines.slice(start, end).join('\n'), optionsMarkdown())
})
