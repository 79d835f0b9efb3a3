/**
 * Errors with a stable `code`, so callers (and the CLI's exit codes) can tell bad input from a
 * bad option, an abort, or a bug. Messages name the file, line, column or id involved.
 */
export type ErrorCode =
  | 'ERR_LLMINIT_INVALID_OPTION'
  | 'ERR_LLMINIT_DATA'
  | 'ERR_LLMINIT_INVALID_PARAM'
  | 'ERR_LLMINIT_INVALID_INPUT'
  | 'ERR_LLMINIT_DIVERGED'
  | 'ERR_LLMINIT_IO'
  | 'ERR_LLMINIT_MISSING_DEPENDENCY'
  | 'ERR_LLMINIT_ENDPOINT'
  | 'ABORT_ERR'

export class LlminitError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LlminitError'
    this.code = code
  }
}

/** A data problem in a file: the message starts with `file:line[:column]`. */
export function dataError(file: string, line: number | undefined, message: string, column?: string): LlminitError {
  const where = line === undefined ? file : `${file}:${line}`
  const col = column === undefined ? '' : ` (column "${column}")`
  return new LlminitError('ERR_LLMINIT_DATA', `${where}${col}: ${message}`)
}

export function abortError(): Error {
  const err = new Error('The operation was aborted')
  err.name = 'AbortError'
  ;(err as Error & { code: string }).code = 'ABORT_ERR'
  return err
}
