import type { KeywardStats, RejectionReason } from './keyward-types.js'
import type { LastUsedStats } from './last-used.js'
import type { ProtectionStats } from './protection.js'
import type { RedeliveryStats } from './redelivery.js'
import type { StoreReadStats } from './store-reads.js'
import type { TokenCache } from './token-cache.js'

/** The counters of the request path, written where they happen (cache size and the parts' own stats aside). */
export type EngineCounters = Pick<
  KeywardStats,
  'cache' | 'storeReads' | 'hashVerifications' | 'rehashes' | 'coalesced' | 'rejections' | 'errors'
>

/** The counters of the invalidation part; redeliveries keep their own. */
export type InvalidationCounters = Omit<KeywardStats['invalidations'], keyof RedeliveryStats>

const REJECTION_REASONS: readonly RejectionReason[] = [
  'missing_token',
  'malformed_header',
  'multiple_credentials',
  'token_too_long',
  'malformed',
  'wrong_prefix',
  'bad_checksum',
  'unknown',
  'wrong_secret',
  'expired',
  'revoked',
  'bad_hash',
  'bad_session',
  'stale_session',
  'negative_cache',
  'throttled',
  'overloaded',
  'wrong_kind',
  'unavailable',
]

export function engineCounters(): EngineCounters {
  return {
    cache: { hits: 0, misses: 0, size: 0, refreshes: 0, renewed: 0, evictions: 0 },
    storeReads: 0,
    hashVerifications: 0,
    rehashes: 0,
    coalesced: 0,
    rejections: Object.fromEntries(REJECTION_REASONS.map((reason) => [reason, 0])) as Record<
      RejectionReason,
      number
    >,
    errors: { store: 0, hasher: 0 },
  }
}

/** Where each part of `stats()` comes from: the one place they are put together, as copies. */
export type StatsSources = {
  counters: EngineCounters
  /** The in-process cache: its size and evictions. */
  cache: Pick<TokenCache, 'size' | 'stats'>
  lastUsed: LastUsedStats
  sessions: KeywardStats['sessions'] | null
  sharedCache: KeywardStats['sharedCache']
  invalidations: InvalidationCounters
  redeliveries: () => RedeliveryStats
  protection: ProtectionStats
  storeGate: StoreReadStats
  events: KeywardStats['events']
  audit: KeywardStats['audit']
}

export function assembleStats(from: StatsSources): KeywardStats {
  const { counters } = from
  return {
    cache: { ...counters.cache, size: from.cache.size, evictions: from.cache.stats.evictions },
    storeReads: counters.storeReads,
    hashVerifications: counters.hashVerifications,
    rehashes: counters.rehashes,
    coalesced: counters.coalesced,
    rejections: { ...counters.rejections },
    lastUsed: { ...from.lastUsed },
    sessions: { versionReads: 0, issued: 0, bumps: 0, ...from.sessions },
    sharedCache: { ...from.sharedCache },
    invalidations: { ...from.invalidations, ...from.redeliveries() },
    protection: { ...from.protection },
    errors: { ...counters.errors },
    storeGate: { ...from.storeGate },
    events: { ...from.events },
    audit: { ...from.audit },
  }
}
