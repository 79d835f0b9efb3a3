/** Exit codes of the `llminit` command: each means one kind of outcome. */
export const EXIT = {
  ok: 0,
  /** An unexpected failure (a bug: please report it). */
  internal: 1,
  /** A bad flag or option value. */
  usage: 2,
  /** The data could not be read or is malformed. */
  data: 3,
  /** Training diverged (NaN/Inf loss). */
  diverged: 4,
  /** An embedding source is unavailable: the optional model package is not installed, or the endpoint refused or failed. */
  unavailable: 5,
  /** Interrupted (Ctrl-C / AbortSignal). */
  aborted: 130,
} as const

export function exitCodeFor(err: unknown): number {
  const code = (err as { code?: string } | undefined)?.code
  switch (code) {
    case 'ERR_LLMINIT_INVALID_OPTION':
    case 'ERR_LLMINIT_INVALID_PARAM':
      return EXIT.usage
    case 'ERR_LLMINIT_DATA':
    case 'ERR_LLMINIT_IO':
    case 'ERR_LLMINIT_INVALID_INPUT':
      return EXIT.data
    case 'ERR_LLMINIT_DIVERGED':
      return EXIT.diverged
    case 'ERR_LLMINIT_MISSING_DEPENDENCY':
    case 'ERR_LLMINIT_ENDPOINT':
      return EXIT.unavailable
    case 'ABORT_ERR':
      return EXIT.aborted
    default:
      return EXIT.internal
  }
}
