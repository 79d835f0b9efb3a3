/** `llminit quickstart`: the bundled demo (none vs var vs the recommended init on Amazon Office). */
import cliProgress from 'cli-progress'
import { Command, InvalidArgumentError, Option } from 'commander'
import { QUICKSTART_DEFAULTS, quickstart, type QuickstartProgress } from '../../demo/quickstart.js'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { INIT_STRATEGIES, type InitStrategy } from '../../options.js'
import { quickstartText } from '../../report/quickstart-table.js'

function positive(kind: 'integer' | 'number') {
  return (raw: string): number => {
    const n = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || (kind === 'integer' && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected a positive ${kind}, got "${raw}"`)
    }
    return n
  }
}

function strategyList(raw: string): InitStrategy[] {
  const list = raw.split(',').map((s) => s.trim())
  for (const s of list) {
    if (!(INIT_STRATEGIES as readonly string[]).includes(s)) throw new InvalidArgumentError(`unknown strategy "${s}" (expected ${INIT_STRATEGIES.join(', ')})`)
  }
  return list as InitStrategy[]
}

/** One bar over every epoch of every run on a terminal; a line per finished run otherwise. */
function progress(epochs: number, quiet: boolean): { onProgress: (e: QuickstartProgress) => void; stop: () => void } {
  if (quiet) return { onProgress: () => {}, stop: () => {} }
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ stream: process.stderr, format: 'quickstart [{bar}] {value}/{total} epochs | run {run}: {strategy} | {last}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
    : undefined
  let runs = 0
  let done = 0
  let label = { run: '', strategy: '', last: '' }
  return {
    onProgress(e) {
      if (e.kind === 'run') {
        runs = e.runs
        label = { run: `${e.index + 1}/${e.runs}`, strategy: e.strategy, last: '' }
        done = e.index * epochs
        if (bar) {
          if (e.index === 0) bar.start(runs * epochs, 0, label)
          else bar.update(done, label)
        } else process.stderr.write(`run ${label.run}: LightGCN with --init ${e.strategy}…\n`)
      } else if (e.kind === 'epoch') {
        label.last = `valid ndcg@10 ${e.record.valid.toFixed(4)}`
        bar?.update(done + e.epoch, label)
      }
    },
    stop() {
      bar?.stop()
    },
  }
}

export function quickstartCommand(signal: AbortSignal): Command {
  const d = QUICKSTART_DEFAULTS
  return new Command('quickstart')
    .description(
      'Run the bundled demo offline: LightGCN on Amazon Office with random init (none), the paper\'s var, and the recommended init (pca), ' +
        'then print test Recall@10 / NDCG@10, the validation curves and a verdict. Quick-start settings, not the paper\'s protocol.',
    )
    .addOption(new Option('--epochs <n>', 'maximum epochs per run').default(d.epochs).argParser(positive('integer')))
    .addOption(new Option('--batch-size <n>', 'training batch size').default(d.batchSize).argParser(positive('integer')))
    .addOption(new Option('--lr <rate>', 'Adam learning rate').default(d.lr).argParser(positive('number')))
    .addOption(new Option('--seed <n>', 'seed for the split, init and sampling').default(d.seed).argParser((raw: string) => (raw === '0' ? 0 : positive('integer')(raw))))
    .addOption(new Option('--strategies <list>', 'init strategies to compare, comma-separated; the first is the baseline').default(d.strategies, d.strategies.join(',')).argParser(strategyList))
    .option('--data <path>', 'dataset (default: the bundled Amazon Office)')
    .option('--embeddings <file>', 'item vectors (default: the bundled MPNet vectors)')
    .addOption(new Option('--threads <n>', 'worker threads (default: all cores)').argParser(positive('integer')))
    .option('--json', 'print the JSON report (every run\'s full report) on stdout instead of tables')
    .option('--out <file>', 'also write the JSON report to this file (atomically)')
    .option('--quiet', 'no progress output')
    .action(async (opts: Record<string, unknown>) => {
      const bar = progress(opts.epochs as number, Boolean(opts.quiet))
      let report
      try {
        report = await quickstart(
          {
            epochs: opts.epochs as number,
            batchSize: opts.batchSize as number,
            lr: opts.lr as number,
            seed: opts.seed as number,
            strategies: opts.strategies as InitStrategy[],
            ...(opts.data === undefined ? {} : { data: opts.data as string }),
            ...(opts.embeddings === undefined ? {} : { embeddings: opts.embeddings as string }),
            ...(opts.threads === undefined ? {} : { threads: opts.threads as number }),
          },
          { onProgress: bar.onProgress, signal },
        )
      } finally {
        bar.stop()
      }
      const json = JSON.stringify(report, null, 2)
      if (typeof opts.out === 'string') await writeFileAtomic(opts.out, json + '\n')
      process.stdout.write((opts.json ? json : quickstartText(report)) + '\n')
    })
}
