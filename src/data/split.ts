/**
 * Per-user train/valid/test splits (RecBole's "RO"/"TO" orderings with leave-one-out or ratio
 * splits). A pure function of the data and the options: the same seed gives the same arrays.
 */
import { LlminitError, dataError } from '../errors.js'
import { Xoshiro128 } from './random.js'
import type { InteractionPart, Interactions, Split, SplitOptions } from './types.js'

const DEFAULT_RATIOS: [number, number, number] = [0.8, 0.1, 0.1]
/** Users with fewer interactions than this keep them all in training. */
export const MIN_INTERACTIONS_TO_EVALUATE = 3

/**
 * Orders each user's interactions — randomly with a seeded generator (`loo-random`, `ratio`) or by
 * timestamp, ties in file order (`loo-time`) — then cuts the sequence: `loo-*` puts the last
 * interaction in test, the one before it in valid, the rest in train; `ratio` puts the last
 * ⌊test·n⌋ in test, the ⌊valid·n⌋ before them in valid, the rest in train. Users with fewer than 3
 * interactions stay in training only. Each part lists users in id order, each user's interactions
 * in sequence order.
 */
export function splitInteractions(data: Interactions, options: SplitOptions): Split {
  const { mode, seed } = options
  if (mode !== 'loo-random' && mode !== 'loo-time' && mode !== 'ratio') {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `split mode must be loo-random, loo-time or ratio, got ${String(mode)}`)
  }
  const ratios = mode === 'ratio' ? checkRatios(options.ratios ?? DEFAULT_RATIOS) : undefined
  const users = columnValues(data, 'user') as Uint32Array
  const items = columnValues(data, 'item') as Uint32Array
  const n = users.length

  // Rows grouped by user, in file order within a user (a stable counting sort).
  const offsets = new Uint32Array(data.nUsers + 1)
  for (let r = 0; r < n; r++) offsets[users[r] + 1]++
  for (let u = 0; u < data.nUsers; u++) offsets[u + 1] += offsets[u]
  const order = new Uint32Array(n)
  const fill = offsets.slice(0, data.nUsers)
  for (let r = 0; r < n; r++) order[fill[users[r]]++] = r

  if (mode === 'loo-time') {
    const timestamp = data.table.getChild('timestamp')
    if (timestamp === null) {
      throw dataError(data.files[0] ?? data.name, undefined, 'the loo-time split needs a timestamp column and the data has none', 'timestamp')
    }
    const ts = columnValues(data, 'timestamp') as Float64Array
    for (let u = 0; u < data.nUsers; u++) {
      order.subarray(offsets[u], offsets[u + 1]).sort((a, b) => ts[a] - ts[b] || a - b)
    }
  } else {
    const rng = Xoshiro128.seeded(seed)
    for (let u = 0; u < data.nUsers; u++) rng.shuffle(order, offsets[u], offsets[u + 1])
  }

  // How many of each user's sequence go to valid and test (taken from its end).
  const nValid = new Uint32Array(data.nUsers)
  const nTest = new Uint32Array(data.nUsers)
  let totalValid = 0
  let totalTest = 0
  for (let u = 0; u < data.nUsers; u++) {
    const count = offsets[u + 1] - offsets[u]
    if (count < MIN_INTERACTIONS_TO_EVALUATE) continue
    if (ratios === undefined) {
      nValid[u] = 1
      nTest[u] = 1
    } else {
      // The epsilon keeps e.g. 0.15 × 20 = 2.9999999999999996 at 3.
      nValid[u] = Math.floor(ratios[1] * count + 1e-9)
      nTest[u] = Math.floor(ratios[2] * count + 1e-9)
    }
    totalValid += nValid[u]
    totalTest += nTest[u]
  }

  const train = emptyPart(n - totalValid - totalTest)
  const valid = emptyPart(totalValid)
  const test = emptyPart(totalTest)
  let t = 0
  let v = 0
  let e = 0
  for (let u = 0; u < data.nUsers; u++) {
    const end = offsets[u + 1]
    const testFrom = end - nTest[u]
    const validFrom = testFrom - nValid[u]
    for (let p = offsets[u]; p < end; p++) {
      const r = order[p]
      if (p < validFrom) put(train, t++, u, items[r], r)
      else if (p < testFrom) put(valid, v++, u, items[r], r)
      else put(test, e++, u, items[r], r)
    }
  }
  return { train, valid, test }
}

function checkRatios(ratios: readonly number[]): [number, number, number] {
  const ok = Array.isArray(ratios) && ratios.length === 3 && ratios.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)
  const sum = ok ? ratios[0] + ratios[1] + ratios[2] : 0
  if (!ok || Math.abs(sum - 1) > 1e-6) {
    throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `split ratios must be three non-negative numbers summing to 1, got ${JSON.stringify(ratios)}`)
  }
  return [ratios[0], ratios[1], ratios[2]]
}

/** The typed array behind a one-chunk column of `data.table`. */
export function columnValues(data: Interactions, name: string): Uint32Array | Float32Array | Float64Array {
  const column = data.table.getChild(name)
  if (column === null) throw new LlminitError('ERR_LLMINIT_INVALID_INPUT', `interactions table has no "${name}" column`)
  if (column.data.length !== 1) throw new LlminitError('ERR_LLMINIT_INVALID_INPUT', `interactions column "${name}" is not one contiguous chunk`)
  return column.data[0].values as Uint32Array | Float32Array | Float64Array
}

function emptyPart(length: number): Required<InteractionPart> {
  return { users: new Uint32Array(length), items: new Uint32Array(length), rows: new Uint32Array(length) }
}

function put(part: Required<InteractionPart>, at: number, user: number, item: number, row: number): void {
  part.users[at] = user
  part.items[at] = item
  part.rows[at] = row
}
