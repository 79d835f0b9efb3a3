/**
 * The generated napi-rs binding, with its errors lifted into `LlminitError`s. The binding
 * prefixes every message with `[CODE] `; this is the one place that turns that into `error.code`.
 */
// First: fails with a message naming the platform when no addon for it is installed.
import './platform.js'
import * as binding from '../index.js'
import { abortError, LlminitError, type ErrorCode } from './errors.js'

export const native = binding
export type { JsTrainResult, JsProgress, JsTrainOptions, JsEpoch, JsMetric, JsGroupMetrics } from '../index.js'

const PREFIX = /^\[([A-Z_]+)\] ([\s\S]*)$/

/** Converts an error thrown by the binding; anything unrecognised passes through unchanged. */
export function fromNative(err: unknown): unknown {
  if (!(err instanceof Error)) return err
  const m = PREFIX.exec(err.message)
  if (!m) return err
  if (m[1] === 'ABORT_ERR') return abortError()
  return new LlminitError(m[1] as ErrorCode, m[2], { cause: err })
}

/** Runs a binding call, converting its errors (sync throws and rejections alike). */
export async function callNative<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw fromNative(err)
  }
}
