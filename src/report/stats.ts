/**
 * Summary statistics and the paired significance test of the experiment reports.
 *
 * The test is Student's paired t-test, two-sided: the runs of an arm and of the baseline are paired
 * by seed (same split, same sampling seed), d_s = x_s − b_s, t = mean(d) / (sd(d) / √n) with the
 * sample standard deviation (n − 1), df = n − 1, p = P(|T_df| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2)
 * (the regularized incomplete beta function). With 2 or 3 seeds the test has little power, so the
 * reports also give the sign of every paired difference.
 */

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1))
}

export interface PairedTest {
  test: 'paired t-test (two-sided)'
  n: number
  meanDiff: number
  /** t statistic; ±Infinity when every difference is equal and non-zero; NaN when n < 2 or all are 0. */
  t: number
  df: number
  /** Two-sided p-value; NaN when it is undefined (n < 2, or every difference 0). */
  p: number
  /** `+`, `-` or `0` for each pair, in the order given. */
  signs: string
}

/** Paired t-test of `x` against `baseline` (same length, paired by index). */
export function pairedTTest(x: readonly number[], baseline: readonly number[]): PairedTest {
  if (x.length !== baseline.length) throw new RangeError(`paired test: ${x.length} values against ${baseline.length}`)
  const d = x.map((v, i) => v - baseline[i])
  const n = d.length
  const signs = d.map((v) => (v > 0 ? '+' : v < 0 ? '-' : '0')).join('')
  const meanDiff = mean(d)
  const df = n - 1
  if (n < 2) return { test: 'paired t-test (two-sided)', n, meanDiff, t: NaN, df, p: NaN, signs }
  const sd = sampleStd(d)
  if (sd === 0) {
    const t = meanDiff === 0 ? NaN : meanDiff > 0 ? Infinity : -Infinity
    return { test: 'paired t-test (two-sided)', n, meanDiff, t, df, p: meanDiff === 0 ? NaN : 0, signs }
  }
  const t = meanDiff / (sd / Math.sqrt(n))
  return { test: 'paired t-test (two-sided)', n, meanDiff, t, df, p: studentTwoSidedP(t, df), signs }
}

/** P(|T| ≥ |t|) for Student's t with `df` degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0
  return regularizedBeta(df / (df + t * t), df / 2, 0.5)
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ]
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  const y = x - 1
  let a = c[0]
  const tt = y + 7.5
  for (let i = 1; i < 9; i++) a += c[i] / (y + i)
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(tt) - tt + Math.log(a)
}

/** I_x(a, b), by the continued fraction of Numerical Recipes §6.4 (modified Lentz). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x))
  // The fraction converges fast for x < (a+1)/(a+b+2); otherwise use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a
  return 1 - (front * betaFraction(1 - x, b, a)) / b
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  if (Math.abs(d) < tiny) d = tiny
  d = 1 / d
  let h = d
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < 1e-15) break
  }
  return h
}

/** `*` for p < 0.05, `**` for p < 0.01, `` otherwise. */
export function significanceMark(p: number): string {
  return p < 0.01 ? '**' : p < 0.05 ? '*' : ''
}
