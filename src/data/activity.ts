/**
 * User-activity buckets by number of training interactions (after any halving): metrics per
 * bucket show whom an initialization helps (the sparse users, if LLM knowledge is a free lunch).
 */

export interface ActivityBucket {
  /** Label used in reports: `≤5`, `6–10`, `11–20`, `>20`. */
  label: string
  /** Training interactions, inclusive bounds (`max` is Infinity for the last bucket). */
  min: number
  max: number
}

/**
 * The paper's buckets. The first one is `≤5` rather than `5`: after a leave-one-out split of a
 * 5-core set a user has at least 3 training interactions, and after halving as few as 1.
 */
export const ACTIVITY_BUCKETS: readonly ActivityBucket[] = [
  { label: '≤5', min: 0, max: 5 },
  { label: '6–10', min: 6, max: 10 },
  { label: '11–20', min: 11, max: 20 },
  { label: '>20', min: 21, max: Infinity },
]

/** The bucket index of every user (0 … 3, `ACTIVITY_BUCKETS` order) from its training interactions. */
export function activityGroups(trainUsers: Uint32Array, nUsers: number): Uint8Array {
  const degree = new Uint32Array(nUsers)
  for (const u of trainUsers) degree[u]++
  const groups = new Uint8Array(nUsers)
  for (let u = 0; u < nUsers; u++) {
    groups[u] = ACTIVITY_BUCKETS.findIndex((b) => degree[u] >= b.min && degree[u] <= b.max)
  }
  return groups
}
