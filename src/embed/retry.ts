/**
 * When to retry an HTTP request and how long to wait: 429 and 5xx answers and network failures
 * are retried, with exponential backoff (base × 2^attempt, capped, with up to 25% random jitter),
 * unless the server says how long to wait with `Retry-After` (seconds or an HTTP date).
 */

export interface RetryPolicy {
  /** Retries after the first attempt (default 5). */
  maxRetries: number
  /** Wait before the first retry, in ms (default 500). */
  baseDelayMs: number
  /** Longest wait, in ms, whatever the backoff or `Retry-After` says (default 60 000). */
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 60_000 }

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599)
}

/** Milliseconds a `Retry-After` header asks for; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined
  const text = header.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** The wait before retry number `attempt` (0-based). */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfter: number | undefined, random: () => number = Math.random): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, policy.maxDelayMs)
  const exp = policy.baseDelayMs * 2 ** attempt
  return Math.min(exp * (1 + 0.25 * random()), policy.maxDelayMs)
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
