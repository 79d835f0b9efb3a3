/** `llminit coldstart`: init strategies compared on half of each user's training interactions. */
import { Command } from 'commander'
import { expandGrid } from '../../experiment/grid.js'
import { COLDSTART_NOTE, coldstartConfig } from '../../experiment/presets.js'
import { addPresetFlags, presetTrain, runWithProgress, type PresetFlags } from '../experiment-flags.js'

export function coldstartCommand(signal: AbortSignal): Command {
  const cmd = new Command('coldstart').description(
    "The paper's sparse setting: remove half of each user's training interactions (seeded), keep validation and test, and compare init strategies; metrics by user activity",
  )
  addPresetFlags(cmd)
    .option('--inits <list>', 'init strategies, comma-separated', 'none,rand,uni,var,pca')
    .action(async (opts: PresetFlags & { inits: string }) => {
      const cfg = coldstartConfig({ data: opts.data, embeddings: opts.embeddings, model: opts.model, seeds: opts.seeds, train: presetTrain(opts), inits: opts.inits.split(',') })
      await runWithProgress(expandGrid(cfg), cfg, { ...opts, notes: [COLDSTART_NOTE], signal })
    })
  return cmd
}
