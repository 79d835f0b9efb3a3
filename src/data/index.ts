/** The data layer: load interaction files, filter, remap ids, split, and describe. */
export { loadInteractions, type LoadOptions } from './load.js'
export { splitInteractions } from './split.js'
export { datasetStats } from './stats.js'
export { RECBOLE_TYPE_METADATA } from './atomic.js'
export type {
  ColumnMapping,
  DatasetStats,
  FilterOptions,
  InteractionPart,
  Interactions,
  Split,
  SplitMode,
  SplitOptions,
} from './types.js'
