/**
 * Progress of an experiment on stderr: one overall bar over the grid's cells with the ETA and the
 * running cell's epoch on a terminal, one line per cell (and per epoch) otherwise.
 */
import cliProgress from 'cli-progress'
import type { ExperimentProgress } from '../experiment/run.js'

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}

const runs = (n: number) => `${n} run${n === 1 ? '' : 's'}`

export function experimentProgressPrinter(quiet: boolean): { onProgress: (e: ExperimentProgress) => void; stop: () => void } {
  if (quiet) return { onProgress: () => {}, stop: () => {} }
  const tty = Boolean(process.stderr.isTTY)
  const bar = tty
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'cells [{bar}] {value}/{total} | ETA {eta_left} | {cell} {status}', hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      )
    : undefined
  let started = false
  let eta = NaN
  let first = true
  const say = (s: string) => {
    if (bar && started) bar.stop(), (started = false)
    process.stderr.write(s + '\n')
  }
  let finished = 0
  let total = 0
  return {
    onProgress(e) {
      if (e.kind === 'plan') {
        total = e.total
        finished = e.finished
        say(`${runs(e.total)} in the grid; ${e.finished} already finished (skipped), ${e.total - e.finished} to run`)
      } else if (e.kind === 'cell-start') {
        if (bar) {
          if (!started) bar.start(total, finished, { cell: e.cell.id, status: '', eta_left: formatDuration(e.etaSeconds ?? NaN) }), (started = true)
          bar.update(finished, { cell: e.cell.id, status: 'loading', eta_left: formatDuration(eta) })
        } else say(`[${finished + 1}/${total}] ${e.cell.id}${Number.isFinite(eta) ? ` (ETA ${formatDuration(eta)})` : ''}`)
      } else if (e.kind === 'train' && e.event.kind === 'epoch') {
        const r = e.event.record
        const status = `epoch ${r.epoch} valid ${r.valid.toFixed(4)}${r.improved ? ' *' : ''}`
        if (bar && started) bar.update(finished, { cell: e.cell.id, status, eta_left: formatDuration(eta) })
        else if (!bar) process.stderr.write(`  ${status}\n`)
      } else if (e.kind === 'cell-done') {
        finished++
        eta = e.etaSeconds
        if (first && e.remaining > 0) {
          say(`first run took ${formatDuration(e.seconds)}; estimated ${formatDuration(e.etaSeconds)} for the ${runs(e.remaining)} left`)
          first = false
        } else if (!bar) say(`  done in ${formatDuration(e.seconds)}; ${e.remaining} left, ETA ${formatDuration(e.etaSeconds)}`)
        if (bar) {
          if (!started) bar.start(total, finished, { cell: e.cell.id, status: 'done', eta_left: formatDuration(eta) }), (started = true)
          bar.update(finished, { cell: e.cell.id, status: 'done', eta_left: formatDuration(eta) })
        }
      }
    },
    stop() {
      if (bar && started) bar.stop()
      started = false
    },
  }
}
