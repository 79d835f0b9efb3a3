/**
 * Experiments: a grid of training runs (datasets × backbones × inits × sources × options × seeds),
 * resumable, with Markdown/CSV/JSON reports and SVG charts in one output folder.
 */
import type { TrainProgress } from '../train.js'
import { checkExperimentConfig, readExperimentConfig, type ExperimentConfig } from './config.js'
import { expandGrid, type Cell } from './grid.js'
import { writeExperimentReports, type ReportSettings } from './outputs.js'
import type { RunRecord } from './record.js'
import { runCells, type ExperimentProgress } from './run.js'

export { checkExperimentConfig, readExperimentConfig, expandGrid, runCells, writeExperimentReports }
export type { ExperimentConfig, Cell, RunRecord, ExperimentProgress, TrainProgress }
export type { ExperimentDataset, InitArm } from './config.js'
export { estimateSeconds } from './run.js'
export type { TimedCell } from './run.js'

export interface ExperimentOptions {
  /** Output folder: `runs/`, `table.md`, `results.csv`, `results.json`, `charts/`. */
  out: string
  signal?: AbortSignal
  onProgress?: (e: ExperimentProgress) => void
  /** Draw the SVG charts (default true). */
  charts?: boolean
  /** Extra protocol lines for the report. */
  notes?: string[]
}

/**
 * Runs an experiment (a config object or a YAML/JSON file) into `options.out`, resuming from the
 * run files already there, and returns every finished run. Reports are rewritten after each cell.
 */
export async function runExperiment(config: ExperimentConfig | string, options: ExperimentOptions): Promise<RunRecord[]> {
  const cfg = typeof config === 'string' ? await readExperimentConfig(config) : config
  return runPlanned(expandGrid(cfg), cfg, options)
}

/** Runs `cells` (from one or more configs like `cfg`) and reports them with `cfg`'s name, baseline and metrics. */
export async function runPlanned(cells: Cell[], cfg: ExperimentConfig, options: ExperimentOptions & Pick<ReportSettings, 'collapse'>): Promise<RunRecord[]> {
  const settings: ReportSettings = {
    name: cfg.name,
    baseline: cfg.baseline,
    metrics: cfg.metrics,
    plannedRuns: cells.length,
    configFile: cfg.file,
    notes: options.notes,
    charts: options.charts,
    collapse: options.collapse,
  }
  return runCells(cells, {
    out: options.out,
    signal: options.signal,
    onProgress: options.onProgress,
    afterCell: (runs) => writeExperimentReports(options.out, runs, settings),
  })
}
