/**
 * A small seeded generator for splits: xoshiro128** 1.1 (Blackman & Vigna,
 * https://prng.di.unimi.it/xoshiro128starstar.c), its 128-bit state filled by splitmix32 from
 * the seed. 32-bit arithmetic only, so it is exact in JavaScript.
 */
import { LlminitError } from '../errors.js'

export class Xoshiro128 {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  /** From an explicit state (not all zero); see `seeded` for the usual constructor. */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 | 0
    this.s1 = s1 | 0
    this.s2 = s2 | 0
    this.s3 = s3 | 0
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) throw new RangeError('xoshiro128 state must not be all zero')
  }

  /** Any safe integer seed; the low and high 32-bit words both go into the state. */
  static seeded(seed: number): Xoshiro128 {
    if (!Number.isSafeInteger(seed)) {
      throw new LlminitError('ERR_LLMINIT_INVALID_OPTION', `seed must be a safe integer, got ${String(seed)}`)
    }
    const low = seed >>> 0
    const high = Math.floor(seed / 0x1_0000_0000) >>> 0
    let x = low
    const next = () => {
      x = (x + 0x9e3779b9) | 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) | 0
    }
    const s0 = next()
    const s1 = next() ^ high
    const s2 = next()
    const s3 = next()
    return new Xoshiro128(s0, s1, s2, s3 === 0 && (s0 | s1 | s2) === 0 ? 1 : s3)
  }

  /** The next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0
    const t = this.s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    return result
  }

  /** A uniform integer in [0, n), n ≤ 2^32, without modulo bias (rejection sampling). */
  below(n: number): number {
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n)
    let x = this.nextUint32()
    while (x >= limit) x = this.nextUint32()
    return x % n
  }

  /** Fisher–Yates shuffle of `array[from, to)` in place. */
  shuffle(array: Uint32Array, from = 0, to = array.length): void {
    for (let i = to - from - 1; i > 0; i--) {
      const j = this.below(i + 1)
      const a = from + i
      const b = from + j
      const tmp = array[a]
      array[a] = array[b]
      array[b] = tmp
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
