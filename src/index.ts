/**
 * llminit: LLM item embeddings as a free lunch for collaborative-filtering recommenders.
 * The public TypeScript API; the CLI calls exactly these functions.
 */
export { train, type TrainReport, type TrainProgress, type RunOptions, type EpochSummary } from './train.js'
export { TRAIN_OPTIONS, resolveTrainConfig, optionsMarkdown, type TrainConfig, type ResolvedTrainConfig } from './options.js'
export { loadInteractions, splitInteractions, datasetStats } from './data/index.js'
export type { Interactions, Split, SplitOptions, DatasetStats, ColumnMapping, FilterOptions } from './data/index.js'
export { LlminitError, type ErrorCode } from './errors.js'
export { metricsTable, trainSummary } from './report/metrics-table.js'
export { Graph, evaluateRanking, StepBench, type Tables, type Pairs, type PropagateOptions, type RankingOptions, type StepBenchOptions } from './kernels.js'
