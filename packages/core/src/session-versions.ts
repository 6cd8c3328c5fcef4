import type { LRUCache } from 'lru-cache'
import type { Clock } from './clock.js'
import { growingLru } from './lru.js'
import type { SharedLevel } from './shared-level.js'
import type { KeywardStore } from './store.js'
import type { StoreReads } from './store-reads.js'

/** What reading versions needs: where they live and how a failure is reported. */
export type VersionSources = {
  clock: Clock
  store: () => Promise<KeywardStore>
  /** The gate version reads pass (bound, timeout with cancellation, breaker). */
  storeReads: StoreReads
  /** Consulted before the store, and refilled from it. */
  shared: SharedLevel
  sharedTtl: number
  onStoreError: (error: unknown) => void
}

type Read = { version: number; at: number }

/**
 * Users' session versions on this process: reads (shared level, then store) cached for `ttl`,
 * raised by what was learnt since (a bump here, a message from elsewhere). Versions only grow.
 */
export class SessionVersions {
  readonly stats = { versionReads: 0 }
  /**
   * Versions as read, with when they were read. `fetch()` coalesces concurrent misses for one user
   * into one read. Nothing ever `set()`s or clears this cache while a read may be in flight
   * (lru-cache would cancel the read): what is learnt otherwise goes to `#floors`.
   */
  readonly #reads: LRUCache<string, Read, unknown>
  /** The highest version learnt from a bump here or a message from elsewhere. */
  readonly #floors: LRUCache<string, number, unknown>
  /** Reads older than this are not trusted (the bus lost messages). */
  #trustedSince = Number.NEGATIVE_INFINITY
  /** Fresh reads, straight from the store, one at a time per user. */
  readonly #freshReads = new Map<string, Promise<number>>()
  readonly #sources: VersionSources

  async #readStore(userId: string): Promise<number> {
    const { store: openStore, storeReads, shared, clock, sharedTtl } = this.#sources
    const store = await openStore()
    const version = await storeReads.read((signal) => {
      this.stats.versionReads++
      return store.getSessionVersion(userId, signal)
    })
    shared.cache
      ?.writeVersion(userId, { version, validUntil: clock.now() + sharedTtl }, sharedTtl)
      .then(shared.worked, shared.failed)
    return version
  }

  constructor(sources: VersionSources, cache: { ttl: number; max: number }) {
    this.#sources = sources
    const { clock } = sources
    this.#reads = growingLru<string, Read>(cache.max, {
      ttl: Math.max(cache.ttl, 1),
      perf: clock,
      // Read the clock on every check: an injected clock may jump, and a version must not outlive its TTL.
      ttlResolution: 0,
      fetchMethod: async (userId): Promise<Read> => {
        const at = clock.now()
        const shared = sources.shared.cache
        if (shared) {
          try {
            const cached = await shared.readVersion(userId)
            sources.shared.worked()
            if (cached !== null) return { version: cached.version, at }
          } catch (error) {
            sources.shared.failed(error)
          }
        }
        return { version: await this.#readStore(userId), at }
      },
    })
    this.#floors = growingLru<string, number>(cache.max, {
      ttl: Math.max(cache.ttl, 1),
      perf: clock,
      ttlResolution: 0,
    })
  }

  /** A version learnt from a bump here or from another process. */
  raise(userId: string, version: number): void {
    if (version > (this.#floors.get(userId) ?? -1)) this.#floors.set(userId, version)
  }

  /** Stops trusting every cached version (the bus lost messages). */
  forgetAll(): void {
    this.#trustedSince = this.#sources.clock.now()
    this.#floors.clear()
  }

  /** From the store itself, bypassing both cache levels (either may be behind). Null on failure. */
  async fresh(userId: string): Promise<number | null> {
    let pending = this.#freshReads.get(userId)
    if (!pending) {
      pending = this.#readStore(userId).finally(() => this.#freshReads.delete(userId))
      this.#freshReads.set(userId, pending)
    }
    try {
      const version = await pending
      this.raise(userId, version)
      return Math.max(version, this.#floors.get(userId) ?? 0)
    } catch (error) {
      this.#sources.onStoreError(error)
      return null
    }
  }

  /** The cached version (a read within the TTL, raised by what was learnt since), or null on failure. */
  async cached(userId: string): Promise<number | null> {
    try {
      let read = await this.#reads.fetch(userId)
      if (read !== undefined && read.at < this.#trustedSince)
        read = await this.#reads.fetch(userId, { forceRefresh: true })
      if (read === undefined) return null
      return Math.max(read.version, this.#floors.get(userId) ?? 0)
    } catch (error) {
      // A read cancelled by eviction is not an outage: read again, once, from the store.
      if ((error as Error)?.name === 'AbortError') return this.fresh(userId)
      this.#sources.onStoreError(error)
      return null
    }
  }
}
