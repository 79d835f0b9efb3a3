/**
 * The bundled demo: the data shipped in `data/` loads, the float16 vectors match the shared
 * float32 ones, the verdict sentence says what the numbers say, and `llminit quickstart` runs end
 * to end (capped at 2 epochs here; the full demo's numbers are in the README).
 */
import test from 'ava'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BUNDLED_OFFICE, loadInteractions, quickstartText, quickstartVerdict, readEmbeddings, type QuickstartReport } from '../src/index.js'
import { REPO_ROOT, tempDir } from './helpers.js'

const BIN = join(REPO_ROOT, 'bin', 'llminit.js')
const SHARED_MPNET = fileURLToPath(new URL('../../shared/data/amazon-office/amazon-office.mpnet.parquet', import.meta.url))

function llminit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') return reject(error)
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
    })
  })
}

test('the bundled Amazon Office data and its float16 vectors are complete and match the shared float32 file', async (t) => {
  const data = await loadInteractions(BUNDLED_OFFICE.data)
  t.is(data.nUsers, 4905)
  t.is(data.nItems, 2420)
  t.is(data.table.numRows, 53258)
  const half = await readEmbeddings(BUNDLED_OFFICE.embeddings)
  const full = await readEmbeddings(SHARED_MPNET)
  t.is(half.dim, 768)
  t.deepEqual(half.ids, full.ids)
  let worst = 0
  for (let k = 0; k < full.vectors.length; k++) worst = Math.max(worst, Math.abs(half.vectors[k] - full.vectors[k]))
  // float16 keeps 11 significant bits: for |x| < 0.25 the spacing is ≤ 2^-13, so rounding moves a
  // value by at most 2^-14 ≈ 6.1e-5.
  t.true(worst > 0 && worst <= 2 ** -14, String(worst))
})

test('quickstartVerdict: beats / mixed / does not beat, with the relative changes', (t) => {
  const v = quickstartVerdict([
    { strategy: 'none', recall: 0.1, ndcg: 0.05 },
    { strategy: 'var', recall: 0.11, ndcg: 0.049 },
    { strategy: 'pca', recall: 0.12, ndcg: 0.06 },
    { strategy: 'uni', recall: 0.09, ndcg: 0.05 },
  ])
  t.regex(v, /var \(the paper\) is mixed against none: Recall@10 \+10\.0%, NDCG@10 -2\.0%/)
  t.regex(v, /pca \(recommended\) beats none: Recall@10 \+20\.0%, NDCG@10 \+20\.0%/)
  t.regex(v, /uni does not beat none: Recall@10 -10\.0%, NDCG@10 \+0\.0%/)
  t.is(quickstartVerdict([{ strategy: 'none', recall: 0.1, ndcg: 0.05 }]), 'nothing to compare')
})

test.serial('llminit quickstart runs offline on the bundled data: table, curves, verdict, JSON', async (t) => {
  const dir = await tempDir(t)
  const out = join(dir, 'qs.json')
  const r = await llminit('quickstart', '--epochs', '2', '--strategies', 'none,pca', '--threads', '2', '--out', out)
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /amazon-office: 4905 users, 2420 items, 53258 interactions/)
  t.regex(r.stdout, /settings: batch 2048, lr 0\.005, at most 2 epochs .*not the paper's protocol/)
  t.regex(r.stdout, /^none \(random\) +0\.\d{4} +0\.\d{4}/m)
  t.regex(r.stdout, /^pca \(recommended\) +0\.\d{4}/m)
  t.regex(r.stdout, /validation ndcg@10 by epoch/)
  t.regex(r.stdout, /^verdict: pca \(recommended\) (beats|is mixed against|does not beat) none/m)
  t.regex(r.stderr, /run 1\/2: LightGCN with --init none/)

  const report = JSON.parse(await readFile(out, 'utf8')) as QuickstartReport
  t.deepEqual(report.runs.map((x) => x.strategy), ['none', 'pca'])
  t.is(report.settings.epochs, 2)
  const [none, pca] = report.runs.map((x) => x.report)
  t.is(none.epochsRun, 2)
  t.is(pca.init?.strategy, 'pca')
  // Before any training the LLM init already ranks: measured 0.0029 (none) vs 0.0691 (pca).
  const e0 = (x: typeof none) => x.initial?.test['recall@10'] ?? Number.NaN
  t.true(e0(pca) > 0.04 && e0(pca) > 10 * e0(none), `${e0(pca)} vs ${e0(none)}`)
  t.is(quickstartText(report).split('\n').find((l) => l.startsWith('verdict:')), `verdict: ${report.verdict}`)
})

test('llminit quickstart: bad settings are usage errors (exit 2) naming the value', async (t) => {
  const bad = await llminit('quickstart', '--strategies', 'none,best')
  t.is(bad.code, 2)
  t.regex(bad.stderr, /unknown strategy "best"/)
  const zero = await llminit('quickstart', '--epochs', '0')
  t.is(zero.code, 2)
  t.regex(zero.stderr, /expected a positive integer, got "0"/)
  const help = await llminit('quickstart', '--help')
  t.is(help.code, 0)
  t.regex(help.stdout, /--strategies <list>/)
})
