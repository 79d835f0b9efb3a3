/** `llminit coldstart`: init strategies compared on half of each user's training interactions. */
import { Command } from 'commander'
import { LlminitError } from '../../errors.js'
import { expandGrid } from '../../experiment/grid.js'
import { COLDSTART_NOTE, coldstartConfig } from '../../experiment/presets.js'
import { INIT_STRATEGIES } from '../../options.js'
import { addPresetFlags, presetTrain, runWithProgress, type PresetFlags } from '../experiment-flags.js'

/** `--inits`: known strategy names; the ones that read vectors need `--embeddings`. */
function checkInits(inits: string[], embeddings: string | undefined): void {
  const known: readonly string[] = INIT_STRATEGIES
  const bad = inits.find((s) => !known.includes(s))
  if (bad !== undefined) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `--inits: unknown strategy "${bad}" (known: ${known.join(', ')})`)
  const needVectors = inits.filter((s) => s !== 'none')
  if (needVectors.length > 0 && embeddings === undefined) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `--inits ${needVectors.join(',')} initialize from LLM item vectors: give them with --embeddings <file>`)
  }
}

export function coldstartCommand(signal: AbortSignal): Command {
  const cmd = new Command('coldstart').description(
    "The paper's sparse setting: remove half of each user's training interactions (seeded), keep validation and test, and compare init strategies; metrics by user activity",
  )
  addPresetFlags(cmd)
    .option('--inits <list>', 'init strategies, comma-separated', 'none,rand,uni,var,pca')
    .action(async (opts: PresetFlags & { inits: string }) => {
      const inits = opts.inits.split(',')
      checkInits(inits, opts.embeddings)
      const cfg = coldstartConfig({ data: opts.data, embeddings: opts.embeddings, model: opts.model, seeds: opts.seeds, train: presetTrain(opts), inits })
      await runWithProgress(expandGrid(cfg), cfg, { ...opts, notes: [COLDSTART_NOTE], signal })
    })
  return cmd
}
