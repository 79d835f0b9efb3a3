/**
 * IEEE 754 binary16 → float32, for float16 vector files (the bundled demo embeddings are stored at
 * half precision to keep the package small). Node 20 has no Float16Array, so the conversion goes
 * through a 65,536-entry lookup table built once: one typed-array pass per file.
 */
let table: Float32Array | undefined

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24 // zero and subnormals
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : Number.NaN
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

/** Widens little-endian binary16 values to a new Float32Array (exact: every half is a float). */
export function halfToFloat32(halves: Uint16Array): Float32Array {
  if (table === undefined) {
    table = new Float32Array(65536)
    for (let h = 0; h < 65536; h++) table[h] = halfToFloat(h)
  }
  const out = new Float32Array(halves.length)
  for (let k = 0; k < halves.length; k++) out[k] = table[halves[k]]
  return out
}
