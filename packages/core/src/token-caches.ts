import type { Clock } from './clock.js'
import type { EngineCounters } from './engine-stats.js'
import { InvalidationFence } from './invalidation-fence.js'
import { LastUsedRecorder } from './last-used.js'
import type { Lifecycle } from './lifecycle.js'
import { Signal } from './signal.js'
import type { KeywardStore } from './store.js'
import { type RefreshDue, TokenCache } from './token-cache.js'

/**
 * The in-process level and what hangs on it: last-used bookkeeping (a hit reports a use), the
 * refresh-ahead request (a hit near the end of an entry's TTL), and invalidation behind the fence.
 * The one place the cache's callbacks are wired.
 */
export function createTokenCaches(context: {
  clock: Clock
  cacheTtl: number
  cacheMax: number
  flushInterval: number
  store: () => Promise<KeywardStore>
  reportStoreError: (error: unknown, during: string) => void
  lifecycle: Lifecycle
  counters: EngineCounters
}) {
  const { clock, lifecycle, counters } = context
  const window = Math.max(context.cacheTtl, 1000)
  const lastUsed = new LastUsedRecorder({
    window,
    interval: context.flushInterval,
    max: context.cacheMax,
    store: context.store,
    onError: (error) => context.reportStoreError(error, 'a last-used write'),
  })
  /** A hit asks for its entry to be confirmed again (see `MissResolver.refresh`). */
  const refreshDue = new Signal<[RefreshDue]>()
  const cache = new TokenCache({
    max: context.cacheMax,
    ttl: context.cacheTtl,
    clock,
    useWindow: window,
    onUse: (id, at) => lastUsed.record(id, at),
    onRefresh: (due) => {
      if (lifecycle.closed) return
      counters.cache.refreshes++
      refreshDue.emit(due)
    },
  })
  const fence = new InvalidationFence()
  return {
    cache,
    lastUsed,
    fence,
    refreshDue,
    /** Drops tokens here: from the cache, from pending last-used writes, and from reads in flight. */
    invalidate(ids: readonly string[]): void {
      fence.invalidate(ids)
      for (const id of ids) {
        cache.delete(id)
        lastUsed.forget(id)
      }
    },
    /** Messages may have been missed: nothing cached here is trusted. */
    dropEverything(): void {
      fence.invalidateEverything()
      cache.clear()
    },
  }
}
