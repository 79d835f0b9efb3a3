/**
 * Embedding progress on stderr: a cli-progress bar over the items on a terminal, a line at every
 * 10% otherwise (logs, CI). stdout stays free for `--json`.
 */
import cliProgress from 'cli-progress'
import type { EmbedProgress } from '../embed/embed-items.js'

export function embedProgressPrinter(quiet: boolean): { onProgress: (e: EmbedProgress) => void; stop: () => void } {
  if (quiet) return { onProgress: () => {}, stop: () => {} }
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'embed [{bar}] {percentage}% | {value}/{total} items | {rate} items/s | {cacheHits} cached', hideCursor: true },
      cliProgress.Presets.shades_classic,
    )
    let started = false
    return {
      onProgress(e) {
        const rate = e.elapsedSeconds > 0 ? ((e.done - e.cacheHits) / e.elapsedSeconds).toFixed(0) : '0'
        if (!started) {
          bar.start(e.total, e.done, { rate, cacheHits: e.cacheHits })
          started = true
        } else bar.update(e.done, { rate, cacheHits: e.cacheHits })
      },
      stop: () => started && bar.stop(),
    }
  }
  let nextTenth = 0
  return {
    onProgress(e) {
      const tenth = e.total === 0 ? 10 : Math.floor((10 * e.done) / e.total)
      if (tenth < nextTenth) return
      process.stderr.write(`embed ${e.done}/${e.total} items (${e.cacheHits} cached) [${e.elapsedSeconds.toFixed(1)}s]\n`)
      nextTenth = tenth + 1
    },
    stop: () => {},
  }
}
