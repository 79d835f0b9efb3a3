/**
 * The paper's sparse (cold-start) setting: half of each user's training interactions are removed,
 * validation and test stay as they were. Everything downstream (graph, degrees, the popular set of
 * `var`, user means, activity buckets) is then computed from the halved training part.
 */
import { Xoshiro128 } from './random.js'
import type { InteractionPart, Split } from './types.js'

/** Offsets the halving's generator from the split's, so the same seed draws independent choices. */
const HALVE_STREAM = 0x5eed_4a1f

/**
 * Keeps ⌈n/2⌉ of each user's n training interactions, chosen uniformly with a generator seeded by
 * `seed` (so a user with one interaction keeps it and no user loses its training history
 * entirely); the kept ones stay in their original order. `valid` and `test` are returned as they
 * are (the same objects). The training part must list users in ascending id order, as
 * `splitInteractions` produces it.
 */
export function halveTraining(split: Split, seed: number): Split {
  const { users, items, rows } = split.train
  const n = users.length
  const keep = new Uint8Array(n)
  const rng = Xoshiro128.seeded((seed + HALVE_STREAM) % 2 ** 32)
  let kept = 0
  let start = 0
  while (start < n) {
    let end = start + 1
    while (end < n && users[end] === users[start]) end++
    const count = end - start
    const positions = Uint32Array.from({ length: count }, (_, j) => start + j)
    rng.shuffle(positions)
    const quota = Math.ceil(count / 2)
    for (let j = 0; j < quota; j++) keep[positions[j]] = 1
    kept += quota
    start = end
  }
  const train: InteractionPart = { users: new Uint32Array(kept), items: new Uint32Array(kept), ...(rows ? { rows: new Uint32Array(kept) } : {}) }
  let at = 0
  for (let j = 0; j < n; j++) {
    if (!keep[j]) continue
    train.users[at] = users[j]
    train.items[at] = items[j]
    if (rows && train.rows) train.rows[at] = rows[j]
    at++
  }
  return { train, valid: split.valid, test: split.test }
}
