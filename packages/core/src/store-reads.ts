import type { Clock } from './clock.js'
import { type Duration, toMilliseconds } from './duration.js'
import { KeywardError } from './errors.js'
import { assertKnownKeys, integerOption } from './option-checks.js'
import { TIMEOUT } from './timeout.js'

export type StoreReadOptions = {
  /** Store reads on the request path running at once; past it a miss answers 503 at once. Default 64. */
  maxInFlight?: number
  /** Consecutive failed or timed-out reads that open the circuit breaker. Default 5. */
  failureThreshold?: number
  /** How long an open breaker answers 503 without touching the store before one probe read. Default `'1s'`. */
  coolDown?: Duration
}

export type BreakerState = 'closed' | 'open' | 'half-open'

export type StoreReadStats = {
  /** Reads started and not yet settled: a read that timed out holds its slot until the driver lets go. */
  inFlight: number
  /** The most reads in flight at once. */
  peakInFlight: number
  /** Reads refused because `maxInFlight` were in flight. */
  overloaded: number
  /** Reads refused because the breaker was open. */
  refused: number
  /** Reads that gave no answer within `storeTimeout` (they were then cancelled). */
  timeouts: number
  /** Reads that failed, timeouts included. */
  failures: number
  breaker: BreakerState
  /** How many times the breaker opened. */
  opened: number
}

/** Why a read was not started: the name tells it apart from a store's own error. */
export const READ_REFUSED = 'KeywardStoreReadRefused'
export type ReadRefusal = Error & { reason: 'overloaded' | 'open' }

export function isReadRefusal(error: unknown): error is ReadRefusal {
  return error instanceof Error && error.name === READ_REFUSED
}

const OPTIONS = new Set(['maxInFlight', 'failureThreshold', 'coolDown'])

const positive = (value: unknown, what: string): number => integerOption(value, `storeReads.${what}`)

function refusal(reason: ReadRefusal['reason']): ReadRefusal {
  const error = new Error(
    reason === 'open' ? 'the store is failing: reads are paused' : 'too many store reads in flight',
  ) as ReadRefusal
  error.name = READ_REFUSED
  error.reason = reason
  return error
}

/**
 * The gate in front of every store read on the request path: a bound on reads in flight, a timeout
 * that cancels the read (through its AbortSignal) and a circuit breaker. During a stall, a read that
 * timed out may still sit in the driver; it keeps its slot until it settles, so that a flood of
 * misses cannot pile reads up behind a stuck store. After `failureThreshold` failures in a row the
 * breaker opens: reads are refused without touching the store for `coolDown`, then one probe runs,
 * and its success closes the breaker (its failure opens it again).
 */
export class StoreReads {
  readonly stats: StoreReadStats = {
    inFlight: 0,
    peakInFlight: 0,
    overloaded: 0,
    refused: 0,
    timeouts: 0,
    failures: 0,
    breaker: 'closed',
    opened: 0,
  }
  private readonly max: number
  private readonly threshold: number
  private readonly coolDown: number
  private readonly timeout: number
  private readonly clock: Clock
  private readonly onSuccess: () => void
  private consecutiveFailures = 0
  private openedAt = 0
  private probing = false

  constructor(
    options: StoreReadOptions | undefined,
    context: { clock: Clock; timeout: number; onSuccess?: () => void },
  ) {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new KeywardError('invalid_option', 'storeReads must be an object.')
    }
    assertKnownKeys(options ?? {}, OPTIONS, (key) => `storeReads: unknown option ${JSON.stringify(key)}`)
    this.max = positive(options?.maxInFlight ?? 64, 'maxInFlight')
    this.threshold = positive(options?.failureThreshold ?? 5, 'failureThreshold')
    this.coolDown = toMilliseconds(options?.coolDown ?? '1s', 'storeReads.coolDown')
    this.timeout = context.timeout
    this.clock = context.clock
    this.onSuccess = context.onSuccess ?? (() => {})
  }

  /**
   * Runs `work` unless refused (rejects with a `ReadRefusal`, see `isReadRefusal`); past the store
   * timeout, aborts its signal and rejects with a timeout error.
   */
  read<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const refused = this.admit()
    if (refused !== null) return Promise.reject(refusal(refused))
    const probe = this.stats.breaker === 'half-open'
    if (probe) this.probing = true
    const stats = this.stats
    stats.inFlight++
    if (stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight
    const controller = new AbortController()
    let running: Promise<T>
    try {
      running = work(controller.signal)
    } catch (error) {
      running = Promise.reject(error)
    }
    return new Promise<T>((resolve, reject) => {
      let answered = false
      const timer =
        this.timeout > 0
          ? setTimeout(() => {
              answered = true
              stats.timeouts++
              this.failed(probe)
              controller.abort()
              const error = new Error(`no answer within ${this.timeout} ms`)
              error.name = TIMEOUT
              reject(error)
            }, this.timeout)
          : undefined
      running.then(
        (value) => {
          stats.inFlight--
          if (answered) return
          clearTimeout(timer)
          this.succeeded(probe)
          resolve(value)
        },
        (error: unknown) => {
          stats.inFlight--
          if (answered) return
          clearTimeout(timer)
          this.failed(probe)
          reject(error)
        },
      )
    })
  }

  /** Null when a read may start now, else why not. */
  private admit(): ReadRefusal['reason'] | null {
    const stats = this.stats
    if (stats.breaker !== 'closed') {
      if (this.probing || this.clock.now() - this.openedAt < this.coolDown) {
        stats.refused++
        return 'open'
      }
      if (stats.inFlight >= this.max) {
        stats.overloaded++
        return 'overloaded'
      }
      stats.breaker = 'half-open'
      return null
    }
    if (stats.inFlight >= this.max) {
      stats.overloaded++
      return 'overloaded'
    }
    return null
  }

  private succeeded(probe: boolean) {
    if (probe) this.probing = false
    this.onSuccess()
    // A read started before the breaker opened says nothing about the store now: only the probe closes it.
    if (this.stats.breaker === 'open' || (this.stats.breaker === 'half-open' && !probe)) return
    this.stats.breaker = 'closed'
    this.consecutiveFailures = 0
  }

  private failed(probe: boolean) {
    this.stats.failures++
    if (probe) this.probing = false
    if (this.stats.breaker === 'closed') {
      if (++this.consecutiveFailures < this.threshold) return
    } else if (!probe) {
      return
    }
    this.stats.breaker = 'open'
    this.stats.opened++
    this.openedAt = this.clock.now()
    this.consecutiveFailures = 0
  }
}
