import { clientKey } from './client-address.js'
import type { Clock } from './clock.js'
import { digestEquals } from './digests.js'
import { type Duration, toMilliseconds } from './duration.js'
import { growingLru } from './lru.js'
import { assertKnownKeys, integerOption } from './option-checks.js'
import { detached } from './principal-pool.js'

export type ProtectionOptions = {
  /** Hash verifications running at once, process-wide. Default: the libuv threadpool size (4). */
  verifyConcurrency?: number
  /** Verifications allowed to wait for a slot; past it a miss answers 503. Default 256. */
  verifyQueue?: number
  /** Recently refused tokens (by digest), answered without I/O. Default `{ ttl: '1m', max: 10000 }`. */
  negativeCache?: { ttl?: Duration; max?: number }
  /**
   * Wrong secrets allowed per token id and client address, and window, before further ones from that
   * client skip argon2. Default 5 per `'1m'`. Requests whose address is unknown share one budget.
   */
  failuresPerToken?: number
  failureWindow?: Duration
  /**
   * Wrong secrets allowed per token id and window from all clients together, past which each client
   * address gets one try per window for the id (so that no stranger can lock the owner out). Default 100.
   */
  failuresPerTokenAllClients?: number
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
  'failuresPerTokenAllClients',
])

const positive = (value: number, what: string): number => integerOption(value, `protection.${what}`)

const nothingToRelease = () => {}

/**
 * The defences of the miss path: a cap on concurrent verifications with a bounded queue, a
 * negative cache of refused tokens in its own LRU (a flood of bad tokens never evicts good
 * entries), and a throttle on wrong secrets, per client and id and per id across clients, that
 * spares the digest that verified before.
 */
export function createProtection(options: ProtectionOptions = {}, clock: Clock) {
  assertKnownKeys(options, OPTIONS, (key) => `protection: unknown option ${JSON.stringify(key)}`)
  const concurrency = positive(
    options.verifyConcurrency ?? (Number(process.env.UV_THREADPOOL_SIZE) || 4),
    'verifyConcurrency',
  )
  const queueLimit = options.verifyQueue ?? 256
  integerOption(queueLimit, 'protection.verifyQueue', 0)
  const negativeTtl = toMilliseconds(options.negativeCache?.ttl ?? '1m', 'protection.negativeCache.ttl')
  const negativeMax = positive(options.negativeCache?.max ?? 10_000, 'negativeCache.max')
  const failuresAllowed = positive(options.failuresPerToken ?? 5, 'failuresPerToken')
  const failureWindow = toMilliseconds(options.failureWindow ?? '1m', 'protection.failureWindow')
  const totalAllowed = positive(options.failuresPerTokenAllClients ?? 100, 'failuresPerTokenAllClients')

  const stats: ProtectionStats = { verifyRejected: 0, verifyQueuePeak: 0, negativeHits: 0, throttled: 0 }
  const negative = growingLru<string, true>(negativeMax, {
    ttl: Math.max(negativeTtl, 1),
    perf: clock,
    ttlResolution: 0,
  })
  const windowed = (max: number) =>
    growingLru<string, number>(max, { ttl: Math.max(failureWindow, 1), perf: clock, ttlResolution: 0 })
  // Failures per client and id (key: `id`, or `id` NUL client), and per id from every client.
  const failures = windowed(100_000)
  const totals = windowed(10_000)
  // The digest that last verified for each id: once it has, an attacker cannot throttle the real token.
  const verified = growingLru<string, string>(100_000)
  // Attempts admitted and not yet over, per client key and per id (no larger than the misses in flight).
  const attempts = new Map<string, number>()
  const totalAttempts = new Map<string, number>()
  const keyOf = (id: string, client: string | null | undefined): string => {
    const key = clientKey(client)
    return key === undefined ? id : `${id}\u0000${key}`
  }
  /**
   * The budget an attempt would exceed: the client's, the id's across clients, or none. Past the id's
   * budget across clients, a client with no failure (and no guess in flight) of its own for the id
   * still gets one try per window: else a stranger spread over enough addresses could lock the owner
   * out. A flood over many addresses then costs one verification per address and window, under the
   * cap on concurrent verifications.
   */
  const exhausted = (id: string, key: string): 'client' | 'total' | null => {
    const mine = (failures.get(key) ?? 0) + (attempts.get(key) ?? 0)
    if (mine >= failuresAllowed) return 'client'
    if (mine > 0 && (totals.get(id) ?? 0) + (totalAttempts.get(id) ?? 0) >= totalAllowed) return 'total'
    return null
  }
  const count = (map: Map<string, number>, key: string, by: number) => {
    const left = (map.get(key) ?? 0) + by
    if (left > 0) map.set(key, left)
    else map.delete(key)
  }

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
     * May this digest, sent by this client (its address, see `ClientReader`), go on to the store read
     * and argon2 for this id? Null when this client had too many wrong secrets for the id lately, or
     * all clients together did, and this is not the digest that verified before. Otherwise a release
     * function, to call when the attempt is over: until then it counts against both budgets, so that
     * a burst of concurrent guesses cannot all pass before the first failure is recorded.
     */
    admit(id: string, digest: string, client?: string | null): (() => void) | null {
      const known = verified.get(id)
      if (known !== undefined && digestEquals(known, digest)) return nothingToRelease
      const key = keyOf(id, client)
      if (exhausted(id, key) !== null) {
        stats.throttled++
        return null
      }
      count(attempts, key, 1)
      count(totalAttempts, id, 1)
      let released = false
      return () => {
        if (released) return
        released = true
        count(attempts, key, -1)
        count(totalAttempts, id, -1)
      }
    },
    /**
     * Whole seconds until the window of the budget that throttles this client for this id ends: the
     * `Retry-After` of a throttled answer. 1 when only guesses still being checked hold the budget;
     * never more than the whole window.
     */
    retryAfter(id: string, client?: string | null): number {
      const key = keyOf(id, client)
      const ttl = exhausted(id, key) === 'total' ? totals.getRemainingTTL(id) : failures.getRemainingTTL(key)
      const left = Math.ceil(ttl / 1000)
      return Math.min(Math.max(1, Math.ceil(failureWindow / 1000)), Math.max(1, left))
    },
    recordFailure(id: string, client?: string | null): void {
      // Each window starts at its first failure and is not extended by later ones.
      const key = keyOf(id, client)
      const mine = (failures.get(key) ?? 0) + 1
      failures.set(key, mine, { noUpdateTTL: mine > 1 })
      const all = (totals.get(id) ?? 0) + 1
      totals.set(id, all, { noUpdateTTL: all > 1 })
    },
    recordSuccess(id: string, digest: string): void {
      // A copy: the id is a slice of the request's header, which it would otherwise keep alive.
      verified.set(detached(id), digest)
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

export type Protection = ReturnType<typeof createProtection>
