/**
 * llminit: LLM item embeddings as a free lunch for collaborative-filtering recommenders.
 * The public TypeScript API; the CLI calls exactly these functions.
 */
export { train, type TrainReport, type TrainProgress, type RunOptions, type EpochSummary } from './train.js'
export { TRAIN_OPTIONS, INIT_STRATEGIES, RECOMMENDED_INIT, resolveTrainConfig, optionsMarkdown, type TrainConfig, type ResolvedTrainConfig, type InitStrategy } from './options.js'
export { loadInteractions, splitInteractions, datasetStats } from './data/index.js'
export type { Interactions, Split, SplitOptions, DatasetStats, ColumnMapping, FilterOptions } from './data/index.js'
export { LlminitError, type ErrorCode } from './errors.js'
export { metricsTable, trainSummary } from './report/metrics-table.js'
export { Graph, evaluateRanking, StepBench, type Tables, type Pairs, type PropagateOptions, type RankingOptions, type StepBenchOptions } from './kernels.js'
export { buildInit, meanPairwiseCosine, rowNorms, type InitConfig, type InitDiagnostics, type BuiltInit, type RowNorms } from './init.js'
export { readEmbeddings, alignEmbeddings, EMBEDDING_FORMATS, type ItemEmbeddings, type ReadEmbeddingsOptions, type EmbeddingFormat } from './embed/index.js'
export {
  embedItems,
  writeEmbeddings,
  itemTexts,
  defaultCacheDir,
  MISSING_TEXT_POLICIES,
  type EmbedItemsOptions,
  type EmbedSourceOptions,
  type EmbedProgress,
  type EmbedSummary,
  type EmbeddedItems,
  type MissingTextPolicy,
  type Pooling,
} from './embed/index.js'
export { quickstart, quickstartVerdict, QUICKSTART_DEFAULTS, type QuickstartOptions, type QuickstartReport, type QuickstartRun, type QuickstartProgress } from './demo/quickstart.js'
export { BUNDLED_OFFICE } from './demo/bundled.js'
export { quickstartText } from './report/quickstart-table.js'
export {
  runExperiment,
  runPlanned,
  readExperimentConfig,
  checkExperimentConfig,
  expandGrid,
  runCells,
  writeExperimentReports,
  estimateSeconds,
  type ExperimentConfig,
  type ExperimentDataset,
  type ExperimentOptions,
  type ExperimentProgress,
  type InitArm,
  type Cell,
  type RunRecord,
  type TimedCell,
} from './experiment/index.js'
export { coldstartConfig, collapseConfigs, COLLAPSE_DIMS } from './experiment/presets.js'
export { experimentMarkdown, resultsTable } from './report/experiment-table.js'
export { pairedTTest, studentTwoSidedP, mean, sampleStd, type PairedTest } from './report/stats.js'
export { renderSvg } from './report/svg.js'
export { halveTraining } from './data/halve.js'
export { activityGroups, ACTIVITY_BUCKETS, type ActivityBucket } from './data/activity.js'
export type { ActivityMetrics } from './train.js'
