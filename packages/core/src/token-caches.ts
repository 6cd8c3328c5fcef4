import { CachePressureWarning } from './cache-pressure.js'
import type { Clock } from './clock.js'
import type { EngineCounters } from './engine-stats.js'
import { InvalidationFence } from './invalidation-fence.js'
import type { Logger } from './keyward-types.js'
import { LastUsedRecorder } from './last-used.js'
import type { Lifecycle } from './lifecycle.js'
import type { Principal } from './principal.js'
import { Signal } from './signal.js'
import type { KeywardStore } from './store.js'
import { NO_ENTRY, type RefreshDue, TokenCache } from './token-cache.js'

/**
 * The in-process level and what its owner starts from it: recording a use (the cache says when one
 * is due), asking for a refresh-ahead (the cache says when), warning when it is too small, and
 * invalidation behind the fence. The cache itself only stores and answers.
 */
export function createTokenCaches(context: {
  clock: Clock
  logger: Logger
  cacheTtl: number
  cacheMax: number
  flushInterval: number
  storeTimeout: number
  store: () => Promise<KeywardStore>
  reportStoreError: (error: unknown, during: string) => void
  lifecycle: Lifecycle
  counters: EngineCounters
}) {
  const { clock, lifecycle, counters } = context
  const lastUsed = new LastUsedRecorder({
    interval: context.flushInterval,
    timeout: context.storeTimeout,
    store: context.store,
    onError: (error) => context.reportStoreError(error, 'a last-used write'),
  })
  const cache = new TokenCache({
    max: context.cacheMax,
    ttl: context.cacheTtl,
    clock,
    useWindow: Math.max(context.cacheTtl, 1000),
    refreshAhead: true,
  })
  const pressure = new CachePressureWarning({
    logger: context.logger,
    max: context.cacheMax,
    ttl: context.cacheTtl,
  })
  /** A hit asks for its entry to be confirmed again (see `MissResolver.refresh`). */
  const refreshDue = new Signal<[RefreshDue]>()
  const fence = new InvalidationFence()

  /** A hit whose use is due (`cache.useDueAt`): recorded, and the next one a window later. */
  const recordUse = (slot: number, now: number): void => {
    cache.markUsed(slot, now)
    lastUsed.record(cache.id(slot), now)
  }
  return {
    cache,
    lastUsed,
    fence,
    refreshDue,
    recordUse,
    /** A hit past its entry's `cache.refreshAt`: the entry asks no more, and a refresh starts. */
    startRefresh(slot: number): void {
      const due = cache.takeRefresh(slot)
      if (lifecycle.closed) return
      counters.cache.refreshes++
      refreshDue.emit(due)
    },
    /** Caches what a miss confirmed and records the use that led here, unless one is recorded within the window. */
    fill(
      id: string,
      digest: string,
      principal: Principal,
      limit: number,
      verifiedHash: string | null = null,
    ) {
      const now = clock.now()
      const slot = cache.set(id, digest, principal, { limit, verifiedHash })
      if (slot === NO_ENTRY) lastUsed.record(id, now)
      else if (now >= cache.useDueAt(slot)) recordUse(slot, now)
      pressure.observe(cache.stats.earlyEvictions, now)
    },
    /** Drops tokens here: from the cache (with their use notes) and from reads in flight. */
    invalidate(ids: readonly string[]): void {
      fence.invalidate(ids)
      for (const id of ids) cache.delete(id)
    },
    /** Messages may have been missed: nothing cached here is trusted. */
    dropEverything(): void {
      fence.invalidateEverything()
      cache.clear()
    },
  }
}

export type TokenCaches = ReturnType<typeof createTokenCaches>
