/** Length-sorted batches: texts of similar length share a batch, so little padding is computed. */

/** Indices into `lengths`, grouped in batches of at most `batchSize`, shortest first (stable). */
export function lengthSortedBatches(lengths: readonly number[], batchSize: number): number[][] {
  const order = lengths.map((_, k) => k).sort((a, b) => lengths[a] - lengths[b] || a - b)
  const batches: number[][] = []
  for (let k = 0; k < order.length; k += batchSize) batches.push(order.slice(k, k + batchSize))
  return batches
}

/** A batch of token sequences padded on the right into `rows × seqLen` int64 tensors' data. */
export interface PaddedBatch {
  rows: number
  seqLen: number
  inputIds: BigInt64Array
  attentionMask: BigInt64Array
  tokenTypeIds: BigInt64Array
  /** Real (unpadded) length of each row. */
  lengths: Int32Array
}

export function padBatch(sequences: readonly (readonly number[])[], padId: number): PaddedBatch {
  const rows = sequences.length
  const seqLen = sequences.reduce((m, s) => Math.max(m, s.length), 0)
  const inputIds = new BigInt64Array(rows * seqLen).fill(BigInt(padId))
  const attentionMask = new BigInt64Array(rows * seqLen)
  const lengths = new Int32Array(rows)
  sequences.forEach((seq, r) => {
    lengths[r] = seq.length
    for (let j = 0; j < seq.length; j++) {
      inputIds[r * seqLen + j] = BigInt(seq[j])
      attentionMask[r * seqLen + j] = 1n
    }
  })
  return { rows, seqLen, inputIds, attentionMask, tokenTypeIds: new BigInt64Array(rows * seqLen), lengths }
}
