/**
 * Whole-epoch timing through the public `train()` on Amazon Beauty (loo-random split, seed 2020):
 * LightGCN, d = 128, L = 2, one epoch at batch 256 (~600 optimizer steps) and at batch 2048, with
 * the epoch's training seconds and its validation seconds (one full-ranking evaluation of every
 * user, top-50) taken from the report's history.
 *
 * Beside the evaluation time it prints the Rust evaluation benchmark's numbers, when a log of it
 * is present: the bare blocked GEMM U·Iᵀ at the same size (the floor an evaluation pass can
 * reach) and `rank_all` itself. Produce the log with
 *   cargo bench -p llminit-core --bench eval | tee benchmark/rust-eval.txt
 * (or point LLMINIT_RUST_EVAL_LOG at one). No GEMM is re-implemented here.
 *
 * Run: `node --import tsx benchmark/epoch.ts` (about a minute on two cores).
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { train } from '../src/train.js'
import { BEAUTY, fmt, machine } from './common.js'

const RUST_LOG = process.env.LLMINIT_RUST_EVAL_LOG ?? fileURLToPath(new URL('./rust-eval.txt', import.meta.url))

/** Medians (seconds) parsed from the output of `benches/eval.rs`, if the log exists. */
function rustEvalReference(): { gemmSeconds?: number; rankAllSeconds?: number; header?: string } | undefined {
  if (!existsSync(RUST_LOG)) return undefined
  const text = readFileSync(RUST_LOG, 'utf8')
  const num = (re: RegExp) => {
    const m = re.exec(text)
    return m ? Number(m[1]) : undefined
  }
  return {
    header: /^eval bench:.*$/m.exec(text)?.[0],
    gemmSeconds: num(/blocked GEMM, gemm crate[^:]*: median ([\d.]+) s/),
    rankAllSeconds: num(/rank_all max_k=\d+: median ([\d.]+) s/),
  }
}

console.log(`machine: ${JSON.stringify(machine())}`)
const rows: { batch: number; trainSeconds: number; evalSeconds: number; steps: number; loss: number }[] = []
for (const batchSize of [256, 2048]) {
  const report = await train({ data: BEAUTY, model: 'lightgcn', dim: 128, layers: 2, batchSize, epochs: 1 })
  const epoch = report.history[0]
  const steps = Math.ceil(report.dataset.stats.train / batchSize)
  rows.push({ batch: batchSize, trainSeconds: epoch.trainSeconds, evalSeconds: epoch.evalSeconds, steps, loss: epoch.loss })
  console.log(
    `LightGCN d=128 L=2 batch ${batchSize}: ${steps} steps, train ${fmt(epoch.trainSeconds)} s (${fmt((epoch.trainSeconds / steps) * 1000, 1)} ms/step), ` +
      `eval ${fmt(epoch.evalSeconds)} s, loss ${fmt(epoch.loss, 4)}, valid ndcg@10 ${fmt(epoch.valid, 4)}`,
  )
}

const ref = rustEvalReference()
const evalSeconds = rows.map((r) => r.evalSeconds)
console.log(`\nepoch validation pass (train() history): ${evalSeconds.map((s) => `${fmt(s, 3)} s`).join(', ')}`)
if (ref === undefined) {
  console.log(`Rust GEMM reference: no log at ${RUST_LOG} (run: cargo bench -p llminit-core --bench eval | tee benchmark/rust-eval.txt)`)
} else {
  const g = ref.gemmSeconds
  const best = Math.min(...evalSeconds)
  console.log(
    `Rust GEMM reference (${RUST_LOG}): bare blocked GEMM ${g === undefined ? '?' : `${fmt(g, 3)} s`}, ` +
      `rank_all ${ref.rankAllSeconds === undefined ? '?' : `${fmt(ref.rankAllSeconds, 3)} s`}` +
      (g === undefined ? '' : `; epoch eval / GEMM = ${fmt(best / g)}`) +
      (ref.header ? `\n  (${ref.header})` : ''),
  )
}
