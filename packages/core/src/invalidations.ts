import { BusProbes } from './bus-probe.js'
import type { Clock } from './clock.js'
import type { InvalidationCounters } from './engine-stats.js'
import { describeStoreError, KeywardError } from './errors.js'
import { busHeartbeat, type Heartbeat } from './heartbeat.js'
import { invalidationChannel, noChannelWarning } from './invalidation-channel.js'
import type { Logger } from './keyward-types.js'
import type { Lifecycle } from './lifecycle.js'
import { Redeliveries } from './redelivery.js'
import { type InvalidationBus, type InvalidationMessage, splitInvalidation } from './shared-cache.js'
import type { SharedLevel } from './shared-level.js'
import { type DeploymentKey, signedBus } from './shared-trust.js'
import { Signal } from './signal.js'
import type { KeywardStore } from './store.js'
import { withTimeout } from './timeout.js'

/** At most one warning per minute about messages stamped far from this process's clock. */
const STALE_WARNING_INTERVAL = 60_000
/** Until the bus listens, in-process entries live at most this long (a missed message's bound). */
export const UNSUBSCRIBED_TTL = 5000

export type InvalidationContext = {
  clock: Clock
  logger: Logger
  lifecycle: Lifecycle
  deploymentKey: DeploymentKey
  shared: SharedLevel
  /** Drops tokens from this process's caches (fenced against reads in flight). */
  invalidate: (ids: readonly string[]) => void
  heartbeat: { interval: number; timeout: number } | null
  /** How long each level may hold what an invalidation replaces: its bound when undelivered. */
  bounds: { cacheTtl: number; sharedTtl: number; versionTtl: number }
}

/**
 * How invalidations travel between processes: the bus (the shared cache's pub/sub, else the
 * store's), its heartbeat, delivery to the shared level and the bus, and redelivery of what could
 * not be delivered. What arrives is announced (`versionSeen`, `everythingDropped`), not acted on here.
 */
export class Invalidations {
  readonly stats: InvalidationCounters
  /** Another process bumped a user's session version. */
  readonly versionSeen = new Signal<[userId: string, version: number]>()
  /** Messages may have been missed (a reconnection, a silent channel): nothing cached is trusted. */
  readonly everythingDropped = new Signal<[]>()
  readonly #redeliveries: Redeliveries
  readonly #context: InvalidationContext
  #bus: InvalidationBus | null = null
  #live = false
  #heartbeat: Heartbeat | null = null
  #subscription: Promise<void> | null = null
  readonly #probes = new BusProbes()
  #staleWarnedAt = Number.NEGATIVE_INFINITY
  #channelWarned = false

  #setLive(live: boolean): void {
    this.#live = live
    this.stats.subscribed = live
  }

  #dropEverything(): void {
    this.stats.gaps++
    this.everythingDropped.emit()
  }

  #signingEvents() {
    const { clock, logger } = this.#context
    return {
      forged: () => {
        this.stats.forged++
      },
      replayed: () => {
        this.stats.replayed++
      },
      stale: (skew: number) => {
        this.stats.stale++
        const now = clock.now()
        if (now - this.#staleWarnedAt < STALE_WARNING_INTERVAL) return
        this.#staleWarnedAt = now
        logger.warn(
          `an invalidation message was stamped ${Math.round(skew / 1000)} s from this process's clock: keep the clocks of every process in sync (NTP)`,
        )
      },
    }
  }

  /** Tells the shared level and every other process; returns what failed, or null. */
  async deliver(message: InvalidationMessage): Promise<unknown> {
    const { shared, clock, bounds } = this.#context
    let failure: unknown = null
    const level = shared.cache
    if (level) {
      try {
        if (message.tokens?.length) await level.invalidateTokens(message.tokens)
        if (message.user) {
          const { id, version } = message.user
          await level.writeVersion(
            id,
            { version, validUntil: clock.now() + bounds.sharedTtl },
            bounds.sharedTtl,
          )
        }
        shared.worked()
      } catch (error) {
        shared.failed(error)
        failure = error
      }
    }
    if (this.#bus !== null) {
      try {
        await this.#bus.publish(message)
        this.stats.published++
      } catch (error) {
        this.stats.errors++
        failure ??= error
      }
    }
    return failure
  }

  constructor(context: InvalidationContext) {
    this.#context = context
    this.stats = {
      channel: 'none',
      fallbackBound: context.bounds.cacheTtl,
      subscribed: false,
      published: 0,
      received: 0,
      errors: 0,
      gaps: 0,
      forged: 0,
      replayed: 0,
      stale: 0,
    }
    this.#redeliveries = new Redeliveries({
      clock: context.clock,
      send: async (message) => {
        const failure = await this.deliver(message)
        if (failure !== null) throw failure
      },
    })
  }

  get redeliveryStats() {
    return this.#redeliveries.stats
  }

  /** An entry cached now lives no longer than `limit`, nor, while the bus is not listening, past its bound. */
  entryLimit(limit: number): number {
    const { clock } = this.#context
    return this.#bus !== null && !this.#live ? Math.min(limit, clock.now() + UNSUBSCRIBED_TTL) : limit
  }

  /** Listens on `unsigned` (once; later calls are ignored), authenticated unless `keyed` is false. */
  start(unsigned: InvalidationBus | undefined, keyed = true): void {
    if (this.#bus !== null || unsigned === undefined) return
    const { clock, logger, deploymentKey, lifecycle } = this.#context
    // A store's own bus with no key to sign with (a custom store) is used as it is.
    if (!keyed) logger.warn('invalidation messages are not authenticated: the store has no deploymentKey()')
    const bus = keyed ? signedBus(unsigned, deploymentKey, clock, this.#signingEvents()) : unsigned
    this.#bus = bus
    const heartbeat = busHeartbeat(
      bus,
      this.#context.heartbeat,
      { clock, logger, unsubscribedTtl: UNSUBSCRIBED_TTL },
      {
        ready: () => !keyed || deploymentKey.current !== null,
        down: () => {
          this.#setLive(false)
          this.#dropEverything()
        },
        up: () => this.#setLive(true),
      },
    )
    this.#heartbeat = heartbeat
    const subscription = bus.subscribe(
      (message) => {
        if (message.beat !== undefined) {
          this.#probes.received(message.beat)
          return heartbeat?.received(message.beat)
        }
        this.stats.received++
        if (message.tokens) this.#context.invalidate(message.tokens)
        if (message.user) this.versionSeen.emit(message.user.id, message.user.version)
      },
      // Back after a disconnection.
      () => this.#dropEverything(),
    )
    this.#subscription = subscription
    subscription.then(
      () => {
        this.#setLive(true)
        if (!lifecycle.closed) heartbeat?.start()
      },
      (error) => {
        // A subscription still pending when close() ends it is no outage.
        if (lifecycle.closed) return
        // The listener keeps trying in the background; the heartbeat says when it is back.
        heartbeat?.start()
        this.stats.errors++
        logger.warn(`could not subscribe to invalidations: ${describeStoreError(error)}`)
      },
    )
  }

  /**
   * Proves the channel now: once subscribed, sends a probe through the bus and waits for it to come
   * back, each within `timeoutMs`. Rejects when there is no bus, the subscription failed, or the
   * probe is not back in time.
   */
  async probe(timeoutMs: number): Promise<void> {
    const bus = this.#bus
    if (bus === null || this.#subscription === null) throw new Error('no invalidation bus was started')
    await withTimeout(this.#subscription, timeoutMs)
    await this.#probes.roundTrip((beat) => bus.publish({ beat }), timeoutMs)
  }

  /** Without a channel a revocation reaches other processes only by expiry: said once, loudly. */
  reportChannel(store: KeywardStore): void {
    this.stats.channel = invalidationChannel(this.#context.shared.cache, store)
    if (this.stats.channel !== 'none' || this.#channelWarned) return
    this.#channelWarned = true
    this.#context.logger.warn(noChannelWarning(this.#context.bounds.cacheTtl))
  }

  /**
   * After the store is written: drop the entries here, at the shared level and on every process.
   * Throws `invalidation_unconfirmed` when the others could not be told, naming the bound, and
   * keeps telling them in the background until they are told or the bound has passed.
   */
  readonly propagate = async (message: InvalidationMessage, during: string): Promise<void> => {
    const { clock, shared, bounds } = this.#context
    if (message.tokens) this.#context.invalidate(message.tokens)
    // In parts of bounded size; after a failure the rest is not tried now (Redis is likely away),
    // and only the parts not delivered are sent again.
    let failure: unknown = null
    const undelivered: InvalidationMessage[] = []
    for (const part of splitInvalidation(message)) {
      if (failure === null) failure = await this.deliver(part)
      if (failure !== null) undelivered.push(part)
    }
    if (failure === null) return
    // An entry (or session version) left at the shared level lives on until its own TTL, and other
    // processes refill from it: that is then the bound.
    const localBound = message.user ? bounds.versionTtl : bounds.cacheTtl
    const bound = shared.cache ? Math.max(localBound, bounds.sharedTtl) : localBound
    for (const part of undelivered) this.#redeliveries.add(part, clock.now() + bound)
    throw new KeywardError(
      'invalidation_unconfirmed',
      `${during} is saved in the store, but other processes could not be told (${describeStoreError(failure)}). ` +
        `Keyward keeps trying; they stop accepting what it replaced within ${bound} ms at the latest, their cache TTL.`,
    )
  }

  /** Stops the heartbeat (no new work), before the instance drains. */
  stopHeartbeat(): void {
    this.#heartbeat?.stop()
  }

  /** Ends redelivery, warning about what stays undelivered. */
  async stopRedelivery(): Promise<void> {
    await this.#redeliveries.stop()
    const { undelivered } = this.#redeliveries.stats
    if (undelivered > 0) {
      this.#context.logger.warn(
        `closing with ${undelivered} invalidation(s) not delivered to other processes: they stop accepting what was revoked when their cache entries expire`,
      )
    }
  }

  async closeBus(): Promise<void> {
    await this.#bus?.close()
  }
}
