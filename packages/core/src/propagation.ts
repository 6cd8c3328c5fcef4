import { type InvalidationChannel, invalidationChannel } from './invalidation-channel.js'
import type { Lifecycle } from './lifecycle.js'
import type { SharedLevel } from './shared-level.js'
import type { KeywardStore } from './store.js'
import { storeCalls } from './store-calls.js'

/**
 * How a revocation made by this process (a revoke, a rotation, `revokeAll`, a session bump) reaches
 * the other processes on the same database, and within what bound. Bounds assume the other
 * processes run with the same cache and store settings as this one.
 */
export type Propagation = {
  readonly channel: InvalidationChannel
  /** Every other process refuses what was revoked within this many ms of the call returning, while the channel works. */
  readonly boundMs: number
  /**
   * The bound when the channel fails (a lost connection, Redis away): how long a token entry may
   * still be cached elsewhere, `cache.ttl` (with Redis, `cache.sharedTtl` when longer).
   */
  readonly fallbackMs: number
  /** The same, for people. */
  readonly description: string
}

/**
 * What Keyward allows for a message sent over an open connection to be delivered and acted on. A
 * NOTIFY or PUBLISH arrives within milliseconds (docs/many-instances.md has the measurements); the
 * allowance leaves room for a loaded server and event loop, and is what the tests hold every channel to.
 */
export const DELIVERY_ALLOWANCE_MS = 1000

export type PropagationSettings = {
  cacheTtl: number
  sharedTtl: number
  heartbeat: { interval: number; timeout: number } | null
  /** The store bus's poll interval (SQLite), null for a bus that pushes. */
  pollInterval: number | null
}

function silentConnection(heartbeat: PropagationSettings['heartbeat']): string {
  return heartbeat === null
    ? 'with the heartbeat off, a connection gone silent goes unnoticed until it drops'
    : `a connection gone silent is noticed by the heartbeat within ${heartbeat.interval + heartbeat.timeout} ms`
}

/** The bound and its explanation for a channel (a pure function of the settings). */
export function describePropagation(
  channel: InvalidationChannel,
  settings: PropagationSettings,
): Propagation {
  const { cacheTtl, sharedTtl, heartbeat, pollInterval } = settings
  const fallbackMs = channel === 'redis' ? Math.max(cacheTtl, sharedTtl) : cacheTtl
  const failing = `If the channel fails, a process drops its whole cache on reconnecting, and ${silentConnection(heartbeat)}; at worst ${fallbackMs} ms (the cache TTL).`
  const allowance = DELIVERY_ALLOWANCE_MS
  const result = (boundMs: number, description: string): Propagation =>
    Object.freeze({ channel, boundMs, fallbackMs, description })
  switch (channel) {
    case 'postgres':
      return result(
        allowance,
        `Postgres LISTEN/NOTIFY: the invalidation is sent when the write commits and reaches every process listening on this database within milliseconds; stated bound ${allowance} ms. ${failing}`,
      )
    case 'redis':
      return result(
        allowance,
        `Redis pub/sub: the invalidation is published after the write and reaches every process subscribed to this Redis within milliseconds; stated bound ${allowance} ms. ${failing}`,
      )
    case 'sqlite': {
      const poll = pollInterval ?? 0
      return result(
        poll + allowance,
        `the SQLite invalidation table: other processes on this file read it every ${poll} ms (pollInterval) and refuse what was revoked within ${poll + allowance} ms; instances in this process on the same file are told at once. At worst ${fallbackMs} ms (the cache TTL).`,
      )
    }
    case 'store':
      return result(
        allowance,
        `the store's own invalidation bus (a custom store): Keyward cannot time its delivery and states ${allowance} ms, as for a connection. At worst ${fallbackMs} ms (the cache TTL).`,
      )
    case 'local':
      return Object.freeze({
        channel,
        boundMs: 0,
        fallbackMs: 0,
        description:
          'no other process can open this database (SQLite in memory): the instances of this process are told at once.',
      })
    case 'none':
      return result(
        cacheTtl,
        `no invalidation channel: other processes refuse a revoked token only when their cache entries expire, within ${cacheTtl} ms (cache.ttl). Add Redis, or use a store with a bus (see docs/many-instances.md).`,
      )
  }
}

/**
 * `kw.propagation()` (the store is opened if needed, since the channel depends on it), and `of`,
 * the same for a store already open.
 */
export function createPropagation(context: {
  lifecycle: Lifecycle
  store: () => Promise<KeywardStore>
  shared: SharedLevel
  settings: Omit<PropagationSettings, 'pollInterval'>
}) {
  const { withStore } = storeCalls(context)
  const of = (store: KeywardStore): Propagation =>
    describePropagation(invalidationChannel(context.shared.cache, store), {
      ...context.settings,
      pollInterval: store.bus?.pollInterval ?? null,
    })
  return {
    propagation: (): Promise<Propagation> => withStore('propagation', async (store) => of(store)),
    of,
  }
}
