/** `llminit experiment`: runs a grid from a YAML/JSON file into an output folder, resumably. */
import { Command } from 'commander'
import { readExperimentConfig } from '../../experiment/index.js'
import { expandGrid } from '../../experiment/grid.js'
import { positiveInt, runWithProgress } from '../experiment-flags.js'

export function experimentCommand(signal: AbortSignal): Command {
  return new Command('experiment')
    .description('Run a grid (datasets × backbones × inits × embedding sources × options × seeds) one run after another; resumable; writes table.md, results.csv, results.json and charts/*.svg')
    .requiredOption('--config <file>', 'experiment file (.yaml, .yml or .json); relative paths in it are relative to the file')
    .requiredOption('--out <dir>', 'output folder; finished runs in it (runs/*.json) are skipped on a re-run')
    .option('--max-epochs <n>', 'cap every run at n epochs (overrides train.epochs when lower; stated in every table)', positiveInt('--max-epochs'))
    .option('--threads <n>', 'worker threads per run (overrides train.threads)', positiveInt('--threads'))
    .option('--no-charts', 'skip the SVG charts')
    .option('--dry-run', 'list the runs and exit')
    .option('--quiet', 'no progress output')
    .action(async (opts: { config: string; out: string; maxEpochs?: number; threads?: number; charts: boolean; dryRun?: boolean; quiet?: boolean }) => {
      const config = await readExperimentConfig(opts.config)
      if (opts.maxEpochs !== undefined) config.train.epochs = Math.min(config.train.epochs ?? opts.maxEpochs, opts.maxEpochs)
      if (opts.threads !== undefined) config.train.threads = opts.threads
      const cells = expandGrid(config)
      if (opts.dryRun) {
        process.stdout.write(cells.map((c) => `${c.id}\n`).join(''))
        return
      }
      await runWithProgress(cells, config, { ...opts, signal })
    })
}
