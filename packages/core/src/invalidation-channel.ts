import type { SharedCache } from './shared-cache.js'
import type { KeywardStore } from './store.js'

/**
 * How a revocation reaches the other processes: Redis pub/sub, Postgres LISTEN/NOTIFY, the SQLite
 * invalidation table, a custom store's own bus, no one to reach (`'local'`: a database no other
 * process can open, SQLite in memory), or nothing (then only the cache TTL bounds it).
 */
export type InvalidationChannel = 'redis' | 'postgres' | 'sqlite' | 'store' | 'local' | 'none'

export function invalidationChannel(shared: SharedCache | null, store: KeywardStore): InvalidationChannel {
  if (shared) return 'redis'
  if (!store.bus) return store.isolated === true ? 'local' : 'none'
  return store.dialect === 'postgres' || store.dialect === 'sqlite' ? store.dialect : 'store'
}

/** The start-up warning of an instance with no channel: what it means, and its bound. */
export function noChannelWarning(cacheTtl: number): string {
  return `no invalidation channel between processes (no Redis shared cache, and the store has no bus): revocations reach other processes only when their cache entries expire, within ${cacheTtl} ms (cache.ttl). See docs/many-instances.md for a set-up with one.`
}
