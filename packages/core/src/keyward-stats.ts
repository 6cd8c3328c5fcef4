import type { InvalidationChannel } from './invalidation-channel.js'
import type { LastUsedStats } from './last-used.js'
import type { ProtectionStats } from './protection.js'
import type { StoreReadStats } from './store-reads.js'

/** What `kw.stats()` answers: counters of every part of the engine, as copies. */

export type RejectionReason =
  | 'missing_token'
  | 'malformed_header'
  | 'multiple_credentials'
  | 'token_too_long'
  | 'malformed'
  | 'wrong_prefix'
  | 'bad_checksum'
  | 'unknown'
  | 'wrong_secret'
  | 'expired'
  | 'revoked'
  | 'bad_hash'
  | 'bad_session'
  | 'stale_session'
  | 'negative_cache'
  | 'throttled'
  | 'overloaded'
  | 'wrong_kind'
  | 'unavailable'

export type KeywardStats = {
  /**
   * `refreshes`: entries confirmed again because a hit came near the end of their TTL; `renewed`:
   * those that the shared level or the store confirmed, and so live on for another TTL. `evictions`:
   * live entries dropped to make room (a steady rise means `max` is below the tokens in use; see
   * docs/cache-sizing.md).
   */
  cache: { hits: number; misses: number; size: number; refreshes: number; renewed: number; evictions: number }
  storeReads: number
  hashVerifications: number
  rehashes: number
  /** Misses that joined a verification already in flight for the same token. */
  coalesced: number
  rejections: Record<RejectionReason, number>
  lastUsed: LastUsedStats
  /** Session versions read from the store, sessions issued, bumps. */
  sessions: { versionReads: number; issued: number; bumps: number }
  /**
   * The shared level: hits, misses, entries written, failed commands, and whether it is failing now;
   * `forged`: entries read back whose MAC did not verify under the deployment key (each a miss).
   */
  sharedCache: { hits: number; misses: number; writes: number; errors: number; down: boolean; forged: number }
  /**
   * Messages published and received on the bus; `gaps`: reconnections after which caches were
   * dropped. An invalidation that could not reach the other processes is sent again until it does
   * (`redelivered`) or until every cache it concerns has expired (`abandoned`); `undelivered`: those
   * still being retried. Each failed attempt also counts in `errors` (and `sharedCache.errors`).
   * `forged`: messages dropped as unsigned or wrongly signed; `replayed`: authentic messages dropped
   * because this process had delivered them before; `stale`: authentic messages stamped more than
   * `MAX_MESSAGE_AGE` (60 s) from this process's clock (clocks apart), delivered all the same.
   * `channel`: how revocations reach other processes (known once the store is open; `'none'`: only
   * by cache expiry, warned at start-up); `fallbackBound`: that expiry, the L1 TTL in ms, which is
   * also the bound while a channel is down.
   */
  invalidations: {
    channel: InvalidationChannel
    fallbackBound: number
    subscribed: boolean
    published: number
    received: number
    errors: number
    gaps: number
    redelivered: number
    undelivered: number
    abandoned: number
    forged: number
    replayed: number
    stale: number
  }
  /** The defences of the miss path (see `protection`). */
  protection: ProtectionStats
  /** Store failures, and hash verifications that failed (threw) rather than answered. */
  errors: { store: number; hasher: number }
  /** The gate in front of store reads (see `storeReads`): reads in flight, refusals, the breaker. */
  storeGate: StoreReadStats
  /** Events emitted (see `kw.events`), and listeners that threw or rejected. */
  events: { emitted: number; listenerErrors: number }
  /** Audit rows written (`audit: true`), and rows that could not be (each warned). */
  audit: { rows: number; errors: number }
}
