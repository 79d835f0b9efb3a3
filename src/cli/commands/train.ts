/** `llminit train`: parses flags from the options table and calls `train()`. */
import { Command, Option } from 'commander'
import { writeFileAtomic } from '../../io/atomic-write.js'
import { TRAIN_OPTIONS, type TrainConfig } from '../../options.js'
import { trainSummary } from '../../report/metrics-table.js'
import { train } from '../../train.js'
import { progressPrinter } from '../progress.js'

/** Numbers are converted; text that is not a number is passed on as typed, so the validation
 * error quotes what the user wrote. */
function parseValue(kind: string, raw: string): unknown {
  const num = (s: string) => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s)
  if (kind === 'integer' || kind === 'number') return num(raw)
  if (kind === 'list') return raw.split(',').map(num)
  return raw
}

export function trainCommand(signal: AbortSignal): Command {
  const cmd = new Command('train')
    .description('Load a dataset, split it, train a recommender to early stopping and evaluate it by full ranking')
    .option('--json', 'print the JSON report on stdout instead of tables')
    .option('--out <file>', 'also write the JSON report to this file (atomically)')
    .option('--quiet', 'no progress output')
  for (const spec of TRAIN_OPTIONS) {
    const opt = new Option(spec.flag, spec.description)
    if (spec.choices) opt.choices(spec.choices as string[])
    if (spec.default !== undefined && spec.kind !== 'boolean') opt.default(spec.default)
    if (spec.kind !== 'boolean' && spec.kind !== 'string') opt.argParser((raw: string) => parseValue(spec.kind, raw))
    if (spec.key === 'data') opt.makeOptionMandatory()
    cmd.addOption(opt)
  }
  cmd.action(async (opts: Record<string, unknown>) => {
    const config: Record<string, unknown> = {}
    for (const spec of TRAIN_OPTIONS) {
      const v = opts[spec.key]
      if (v === undefined) continue
      config[spec.key] = v
    }
    const progress = progressPrinter(String(config.validMetric ?? 'ndcg@10'), Boolean(opts.quiet))
    let report
    try {
      report = await train(config as unknown as TrainConfig, { onProgress: progress.onProgress, signal })
    } finally {
      progress.stop()
    }
    const json = JSON.stringify(report, null, 2)
    if (typeof opts.out === 'string') await writeFileAtomic(opts.out, json + '\n')
    if (opts.json) process.stdout.write(json + '\n')
    else process.stdout.write(trainSummary(report) + '\n')
  })
  return cmd
}
