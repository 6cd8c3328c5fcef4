import type { Clock } from './clock.js'
import { type Duration, toMilliseconds } from './duration.js'
import { KeywardError } from './errors.js'
import { growingLru } from './lru.js'
import { digestEquals } from './token-cache.js'

export type ProtectionOptions = {
  /** Hash verifications running at once, process-wide. Default: the libuv threadpool size (4). */
  verifyConcurrency?: number
  /** Verifications allowed to wait for a slot; past it a miss answers 503. Default 256. */
  verifyQueue?: number
  /** Recently refused tokens (by digest), answered without I/O. Default `{ ttl: '1m', max: 10000 }`. */
  negativeCache?: { ttl?: Duration; max?: number }
  /** Wrong secrets allowed per token id and window before further ones skip argon2. Default 5 per `'1m'`. */
  failuresPerToken?: number
  failureWindow?: Duration
}

export type ProtectionStats = {
  /** Verifications refused because the queue was full. */
  verifyRejected: number
  /** The most verifications that waited at once. */
  verifyQueuePeak: number
  /** Requests answered from the negative cache. */
  negativeHits: number
  /** Wrong-secret attempts refused without argon2 (throttled ids). */
  throttled: number
}

const OPTIONS = new Set([
  'verifyConcurrency',
  'verifyQueue',
  'negativeCache',
  'failuresPerToken',
  'failureWindow',
])

function positive(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new KeywardError('invalid_option', `protection.${what} must be a positive integer; got ${value}.`)
  }
  return value
}

const nothingToRelease = () => {}

/**
 * The defences of the miss path: a cap on concurrent verifications with a bounded queue, a
 * negative cache of refused tokens in its own LRU (a flood of bad tokens never evicts good
 * entries), and a per-id throttle on wrong secrets that spares the digest that verified before.
 */
export function createProtection(options: ProtectionOptions = {}, clock: Clock) {
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key))
      throw new KeywardError('invalid_option', `protection: unknown option ${JSON.stringify(key)}.`)
  }
  const concurrency = positive(
    options.verifyConcurrency ?? (Number(process.env.UV_THREADPOOL_SIZE) || 4),
    'verifyConcurrency',
  )
  const queueLimit = options.verifyQueue ?? 256
  if (!Number.isSafeInteger(queueLimit) || queueLimit < 0) {
    throw new KeywardError(
      'invalid_option',
      `protection.verifyQueue must be a non-negative integer; got ${queueLimit}.`,
    )
  }
  const negativeTtl = toMilliseconds(options.negativeCache?.ttl ?? '1m', 'protection.negativeCache.ttl')
  const negativeMax = positive(options.negativeCache?.max ?? 10_000, 'negativeCache.max')
  const failuresAllowed = positive(options.failuresPerToken ?? 5, 'failuresPerToken')
  const failureWindow = toMilliseconds(options.failureWindow ?? '1m', 'protection.failureWindow')

  const stats: ProtectionStats = { verifyRejected: 0, verifyQueuePeak: 0, negativeHits: 0, throttled: 0 }
  const negative = growingLru<string, true>(negativeMax, {
    ttl: Math.max(negativeTtl, 1),
    perf: clock,
    ttlResolution: 0,
  })
  const failures = growingLru<string, number>(10_000, {
    ttl: Math.max(failureWindow, 1),
    perf: clock,
    ttlResolution: 0,
  })
  // The digest that last verified for each id: once it has, an attacker cannot throttle the real token.
  const verified = growingLru<string, string>(100_000)
  // Attempts admitted and not yet over, per id (no larger than the misses in flight).
  const attempts = new Map<string, number>()

  let active = 0
  const waiting: Array<() => void> = []

  return {
    stats,
    /** A digest refused recently (unknown, wrong secret, revoked, expired)? */
    isRefused(digestKey: string): boolean {
      if (negativeTtl === 0 || !negative.has(digestKey)) return false
      stats.negativeHits++
      return true
    },
    refuse(digestKey: string): void {
      if (negativeTtl > 0) negative.set(digestKey, true)
    },
    /**
     * May this digest go on to the store read and argon2 for this id? Null when the id had too many
     * wrong secrets lately and this is not the digest that verified before. Otherwise a release
     * function, to call when the attempt is over: until then it counts against the id's budget, so
     * that a burst of concurrent guesses cannot all pass before the first failure is recorded.
     */
    admit(id: string, digest: string): (() => void) | null {
      const known = verified.get(id)
      if (known !== undefined && digestEquals(known, digest)) return nothingToRelease
      const pending = attempts.get(id) ?? 0
      if ((failures.get(id) ?? 0) + pending >= failuresAllowed) {
        stats.throttled++
        return null
      }
      attempts.set(id, pending + 1)
      let released = false
      return () => {
        if (released) return
        released = true
        const left = (attempts.get(id) ?? 1) - 1
        if (left > 0) attempts.set(id, left)
        else attempts.delete(id)
      }
    },
    /**
     * Whole seconds until the id's failure window ends: the `Retry-After` of a throttled answer. 1
     * when only guesses still being checked hold the budget; never more than the whole window.
     */
    retryAfter(id: string): number {
      const left = Math.ceil(failures.getRemainingTTL(id) / 1000)
      return Math.min(Math.max(1, Math.ceil(failureWindow / 1000)), Math.max(1, left))
    },
    recordFailure(id: string): void {
      // The window starts at the first failure and is not extended by later ones.
      const count = (failures.get(id) ?? 0) + 1
      failures.set(id, count, { noUpdateTTL: count > 1 })
    },
    recordSuccess(id: string, digest: string): void {
      verified.set(id, digest)
    },
    /** Runs a verification under the concurrency cap; null when the queue is full (answer 503). */
    async verify<T>(work: () => Promise<T>): Promise<T | null> {
      if (active >= concurrency) {
        if (waiting.length >= queueLimit) {
          stats.verifyRejected++
          return null
        }
        await new Promise<void>((resolve) => {
          waiting.push(resolve)
          stats.verifyQueuePeak = Math.max(stats.verifyQueuePeak, waiting.length)
        })
      } else {
        active++
      }
      try {
        return await work()
      } finally {
        const next = waiting.shift()
        if (next) next()
        else active--
      }
    },
  }
}
