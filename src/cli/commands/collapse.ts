/** `llminit collapse`: random vs selected init at d = 32 … 512 and at the LLM width (`full`). */
import { Command, Option } from 'commander'
import { readEmbeddings } from '../../embed/index.js'
import { LlminitError } from '../../errors.js'
import { expandGrid } from '../../experiment/grid.js'
import { COLLAPSE_DIMS, COLLAPSE_NOTE, collapseConfigs } from '../../experiment/presets.js'
import { INIT_STRATEGIES, type InitStrategy } from '../../options.js'
import { addPresetFlags, intList, presetTrain, runWithProgress, type PresetFlags } from '../experiment-flags.js'

/** Every strategy that picks d of the D columns (none has no vectors; full is the curve's last point). */
const SELECTIONS = INIT_STRATEGIES.filter((s) => s !== 'none' && s !== 'full')

export function collapseCommand(signal: AbortSignal): Command {
  const cmd = new Command('collapse').description(
    'Embedding collapse: random init vs the selected init at d = 32, 64, 128, 256, 512 and at the LLM width D (full), on one backbone; a line chart of the metric vs d and a table',
  )
  addPresetFlags(cmd)
    .addOption(new Option('--init <strategy>', 'the selection compared with random init').choices(SELECTIONS).default('var'))
    .option('--dims <list>', 'embedding sizes below D, comma-separated', intList('--dims'), COLLAPSE_DIMS)
    .action(async (opts: PresetFlags & { init: InitStrategy; dims: number[] }) => {
      if (opts.embeddings === undefined) throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', 'collapse: --embeddings <file> is required (the selected init and full need item vectors)')
      const { dim: width } = await readEmbeddings(opts.embeddings)
      const configs = collapseConfigs({ data: opts.data, embeddings: opts.embeddings, model: opts.model, seeds: opts.seeds, train: presetTrain(opts), init: opts.init, dims: opts.dims, width })
      const cells = configs.flatMap(expandGrid)
      await runWithProgress(cells, configs[0], { ...opts, notes: [`${COLLAPSE_NOTE}; D = ${width}`], collapse: true, signal })
    })
  return cmd
}
