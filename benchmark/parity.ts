/**
 * Accuracy parity with RecBole 1.2.1 and the LLMInit reference code (full-length runs; these are
 * the numbers of the README's accuracy section). Trains LightGCN at the paper's setting to early
 * stopping on Amazon Office under both protocols for seeds 2020–2022, and once on Amazon Beauty and
 * ml-100k, writing each run's JSON report into `--out` (default `runs/parity`) and skipping runs
 * whose report is already there, then prints test Recall@10 / NDCG@10 as mean ± std next to the
 * reference numbers measured on this machine with stock RecBole and with the authors' code.
 *
 * Run: `node --import tsx benchmark/parity.ts [--out runs/parity] [--summary-only]` (about an hour
 * on two cores, most of it Beauty).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeFileAtomic } from '../src/io/atomic-write.js'
import { train, type TrainReport } from '../src/train.js'

const DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url))
const args = process.argv.slice(2)
const outDir = args.includes('--out') ? args[args.indexOf('--out') + 1] : 'runs/parity'
const summaryOnly = args.includes('--summary-only')

/** Measured on this kind of machine (2 cores) with RecBole 1.2.1 at the paper's setting. */
const REFERENCE: Record<string, { recall: number; ndcg: number; source: string }> = {
  'amazon-office/standard': { recall: 0.0932, ndcg: 0.0545, source: 'stock RecBole, seed 2020 (seed 2021: 0.0838 / 0.0450)' },
  'amazon-office/reference': { recall: 0.0722, ndcg: 0.0356, source: 'LLMInit authors’ code, random init, seed 2020' },
}

interface Run {
  dataset: string
  protocol: 'standard' | 'reference'
  seed: number
}

const RUNS: Run[] = [
  ...(['standard', 'reference'] as const).flatMap((protocol) => [2020, 2021, 2022].map((seed) => ({ dataset: 'amazon-office', protocol, seed }))),
  { dataset: 'ml-100k', protocol: 'standard', seed: 2020 },
  { dataset: 'amazon-beauty', protocol: 'standard', seed: 2020 },
]

const file = (r: Run) => join(outDir, `${r.dataset}-lightgcn-${r.protocol}-${r.seed}.json`)

async function main(): Promise<void> {
  for (const r of RUNS) {
    if (summaryOnly || existsSync(file(r))) continue
    process.stderr.write(`training ${r.dataset} ${r.protocol} seed ${r.seed}…\n`)
    const report = await train({ data: join(DATA, r.dataset), model: 'lightgcn', protocol: r.protocol, seed: r.seed })
    await writeFileAtomic(file(r), JSON.stringify(report, null, 2) + '\n')
  }
  const groups = new Map<string, TrainReport[]>()
  for (const r of RUNS) {
    if (!existsSync(file(r))) continue
    const report = JSON.parse(readFileSync(file(r), 'utf8')) as TrainReport
    const key = `${r.dataset}/${r.protocol}`
    groups.set(key, [...(groups.get(key) ?? []), report])
  }
  const stat = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0
    return { mean, sd }
  }
  const f = (x: { mean: number; sd: number }, n: number) => (n > 1 ? `${x.mean.toFixed(4)} ± ${x.sd.toFixed(4)}` : x.mean.toFixed(4))
  console.log('| dataset | protocol | seeds | test Recall@10 | test NDCG@10 | best epochs | s/epoch (median) | peak RSS MB | reference (Recall@10 / NDCG@10) |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const [key, reports] of groups) {
    const recall = stat(reports.map((r) => r.test['recall@10']))
    const ndcg = stat(reports.map((r) => r.test['ndcg@10']))
    const ref = REFERENCE[key]
    const rel = ref ? ` (ours ${(100 * (recall.mean / ref.recall - 1)).toFixed(1)}% / ${(100 * (ndcg.mean / ref.ndcg - 1)).toFixed(1)}%)` : ''
    const [dataset, protocol] = key.split('/')
    console.log(
      `| ${dataset} | ${protocol} | ${reports.map((r) => r.config.seed).join(', ')} | ${f(recall, reports.length)} | ${f(ndcg, reports.length)} | ` +
        `${reports.map((r) => r.bestEpoch).join(', ')} | ${reports.map((r) => r.timings.medianEpochSeconds.toFixed(2)).join(', ')} | ` +
        `${Math.max(...reports.map((r) => r.peakRssMB)).toFixed(0)} | ${ref ? `${ref.recall} / ${ref.ndcg}, ${ref.source}${rel}` : '—'} |`,
    )
  }
}

await main()
