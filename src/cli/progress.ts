/**
 * Training progress on stderr: a cli-progress bar over each epoch's batches on a terminal,
 * one line per epoch otherwise (logs, CI). stdout stays free for `--json`.
 */
import cliProgress from 'cli-progress'
import type { TrainProgress } from '../train.js'

export function progressPrinter(validMetric: string, quiet: boolean): { onProgress: (e: TrainProgress) => void; stop: () => void } {
  if (quiet) return { onProgress: () => {}, stop: () => {} }
  const tty = Boolean(process.stderr.isTTY)
  const bar = tty
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'epoch {epoch} [{bar}] {percentage}% | {value}/{total} batches | {last}', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined
  let running = false
  let last = ''
  const line = (s: string) => {
    if (bar && running) {
      bar.stop()
      running = false
    }
    process.stderr.write(s + '\n')
  }
  return {
    onProgress(e) {
      if (e.kind === 'stage') line(`[${e.elapsedSeconds.toFixed(1)}s] ${e.stage}…`)
      else if (e.kind === 'embed') {
        if (e.done === e.total) line(`[${e.elapsedSeconds.toFixed(1)}s] item text embedded: ${e.total} items (${e.cacheHits} from the cache)`)
      } else if (e.kind === 'batch' && bar) {
        if (!running) {
          bar.start(e.nBatches, e.batch, { epoch: e.epoch, last })
          running = true
        } else bar.update(e.batch, { epoch: e.epoch, last })
      } else if (e.kind === 'epoch') {
        const r = e.record
        last = `loss ${r.loss.toFixed(4)} valid ${validMetric} ${r.valid.toFixed(4)}`
        line(
          `epoch ${String(r.epoch).padStart(3)}  loss ${r.loss.toFixed(4)}  valid ${validMetric} ${r.valid.toFixed(4)}${r.improved ? ' *' : '  '}  ` +
            `${(r.trainSeconds + r.evalSeconds).toFixed(2)} s  [${e.elapsedSeconds.toFixed(0)}s]`,
        )
      }
    },
    stop() {
      if (bar && running) bar.stop()
      running = false
    },
  }
}
