import type { Keyward } from '@keyward/core'

/**
 * How soon running servers learn of a revoke or a bump made here, as the CLI prints it after one.
 * Read from `kw.stats().invalidations` (the channel this instance publishes on, and the cache TTL
 * that bounds a process that misses the message); the one place to change when the core states
 * the bound itself.
 */

function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(1))} s`
  return `${ms} ms`
}

export function propagationNote(kw: Pick<Keyward, 'stats'>): string {
  const { channel, fallbackBound } = kw.stats().invalidations
  const late = `a server that misses the message (its channel down) catches up within ${duration(fallbackBound)}, its cache TTL`
  switch (channel) {
    case 'postgres':
      return `Running servers on this database are told at once by Postgres NOTIFY; ${late}.`
    case 'redis':
      return `Running servers are told at once by Redis pub/sub; ${late}.`
    case 'sqlite':
      return `Running servers on this SQLite file see it at their next poll of its invalidation table; ${late}.`
    case 'store':
      return `Running servers are told by the store's own invalidation bus; ${late}.`
    case 'local':
      return 'No other process can open this database (in memory): there is no running server to tell.'
    case 'none':
      return `This configuration has no invalidation channel: running servers catch up when their cache entries expire, within ${duration(fallbackBound)} (cache.ttl).`
  }
}
