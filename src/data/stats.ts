import type { DatasetStats, Interactions, Split } from './types.js'

/** Sizes and density (interactions / (users · items)); split counts are 0 without a split. */
export function datasetStats(data: Interactions, split?: Split): DatasetStats {
  const interactions = data.table.numRows
  const cells = data.nUsers * data.nItems
  return {
    users: data.nUsers,
    items: data.nItems,
    interactions,
    density: cells === 0 ? 0 : interactions / cells,
    train: split?.train.users.length ?? 0,
    valid: split?.valid.users.length ?? 0,
    test: split?.test.users.length ?? 0,
  }
}
