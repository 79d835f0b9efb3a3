/**
 * sentence-transformers' pooling of token states into one vector per text, then its optional L2
 * normalisation (`v / max(‖v‖, 1e-12)`, as torch's `F.normalize`). Padding positions (beyond each
 * row's length) are ignored; sums run in float64.
 */
import type { Pooling } from './sentence-config.js'

/**
 * Pools `hidden` (`rows × seqLen × dim`, row-major) into `out` at row `outRow + r` for each
 * batch row r (`out` is `n × dim`); `lengths[r]` tokens of row r are real.
 */
export function poolInto(
  out: Float32Array,
  outRows: readonly number[],
  hidden: Float32Array,
  lengths: Int32Array,
  seqLen: number,
  dim: number,
  pooling: Pooling,
  normalize: boolean,
): void {
  const acc = new Float64Array(dim)
  for (let r = 0; r < lengths.length; r++) {
    const n = lengths[r]
    const base = r * seqLen * dim
    if (pooling === 'cls' || pooling === 'last') {
      const at = base + (pooling === 'cls' ? 0 : Math.max(0, n - 1)) * dim
      for (let k = 0; k < dim; k++) acc[k] = hidden[at + k]
    } else if (pooling === 'max') {
      acc.fill(-Infinity)
      for (let j = 0; j < n; j++) for (let k = 0; k < dim; k++) acc[k] = Math.max(acc[k], hidden[base + j * dim + k])
    } else {
      acc.fill(0)
      for (let j = 0; j < n; j++) for (let k = 0; k < dim; k++) acc[k] += hidden[base + j * dim + k]
      const divisor = pooling === 'mean' ? Math.max(n, 1e-9) : Math.sqrt(Math.max(n, 1e-9))
      for (let k = 0; k < dim; k++) acc[k] /= divisor
    }
    let scale = 1
    if (normalize) {
      let sq = 0
      for (let k = 0; k < dim; k++) sq += acc[k] * acc[k]
      scale = 1 / Math.max(Math.sqrt(sq), 1e-12)
    }
    const o = outRows[r] * dim
    for (let k = 0; k < dim; k++) out[o + k] = acc[k] * scale
  }
}
