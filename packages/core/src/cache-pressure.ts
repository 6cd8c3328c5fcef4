/** Early evictions (see `TokenCacheStats`) in one interval past which the cache is called too small. */
export const EARLY_EVICTIONS_ALLOWED = 100
/** The interval over which early evictions are counted, and the least time between two warnings. */
export const PRESSURE_INTERVAL = 60_000

/** Up to two significant digits: a size to configure, not a measurement. */
function roundUp(value: number): number {
  const step = 10 ** Math.max(0, Math.floor(Math.log10(value)) - 1)
  return Math.ceil(value / step) * step
}

/**
 * Says when the in-process cache is too small for the tokens in use: live entries pushed out with
 * more than half of their TTL ahead, more than `EARLY_EVICTIONS_ALLOWED` of them within an interval.
 * Each such token comes back as a full verification (a store read and, with argon2id, tens of ms of
 * CPU). One line per interval at most, with the numbers to size `cache.max` by.
 */
export class CachePressureWarning {
  readonly #logger: { warn(message: string): void }
  readonly #max: number
  readonly #ttl: number
  #intervalStart = Number.NEGATIVE_INFINITY
  #countAtStart = 0
  #warnedAt = Number.NEGATIVE_INFINITY

  constructor(options: { logger: { warn(message: string): void }; max: number; ttl: number }) {
    this.#logger = options.logger
    this.#max = options.max
    this.#ttl = options.ttl
  }

  /** Looks at the cache's running count of early evictions (after a fill, when evictions happen). */
  observe(earlyEvictions: number, now: number): void {
    const inInterval = earlyEvictions - this.#countAtStart
    if (now - this.#intervalStart >= PRESSURE_INTERVAL) {
      this.#intervalStart = now
      this.#countAtStart = earlyEvictions
      return
    }
    if (inInterval <= EARLY_EVICTIONS_ALLOWED || now - this.#warnedAt < PRESSURE_INTERVAL) return
    this.#warnedAt = now
    const seconds = Math.max(1, Math.round((now - this.#intervalStart) / 1000))
    const perTtl = Math.ceil((inInterval * this.#ttl) / Math.max(now - this.#intervalStart, 1))
    const suggested = roundUp(this.#max + perTtl)
    this.#logger.warn(
      `the token cache is too small: ${inInterval.toLocaleString('en-US')} live entries evicted in ${seconds} s, each with more than half of its TTL ahead (cache.max ${this.#max.toLocaleString('en-US')}, cache.ttl ${this.#ttl} ms). Every evicted token in use comes back as a full verification (argon2id: tens of ms of CPU). Raise cache.max to at least the distinct tokens used per TTL, about ${suggested.toLocaleString('en-US')} here; see docs/cache-sizing.md`,
    )
    this.#intervalStart = now
    this.#countAtStart = earlyEvictions
  }
}
