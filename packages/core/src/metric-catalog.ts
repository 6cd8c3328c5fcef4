import { counter, gauge, type KeywardMetric, NO_ATTRIBUTES, split, upDown } from './metric-definition.js'
import type { BreakerState } from './store-reads.js'

/**
 * Every metric Keyward exports, described once: the OpenTelemetry and the Prometheus exporters both
 * read this list, so the two never drift. A metric is read from `kw.stats()` when a collector asks
 * for it, never counted on the request path. Names and units follow OpenTelemetry's semantic
 * conventions (dot-separated lowercase names, UCUM units, no `_total`); the Prometheus name is
 * derived from them by OpenTelemetry's own Prometheus mapping (see `prometheusName`).
 */

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half-open']

export const KEYWARD_METRICS: readonly KeywardMetric[] = [
  split(
    {
      name: 'keyward.cache.hits',
      kind: 'counter',
      unit: '{hit}',
      description: 'Requests answered from a cache level.',
    },
    'level',
    { local: 'cache.hits', shared: 'sharedCache.hits' },
  ),
  split(
    {
      name: 'keyward.cache.misses',
      kind: 'counter',
      unit: '{miss}',
      description: 'Requests a cache level could not answer.',
    },
    'level',
    { local: 'cache.misses', shared: 'sharedCache.misses' },
  ),
  upDown('keyward.cache.size', '{entry}', 'cache.size', 'Entries in the in-process cache.'),
  counter(
    'keyward.cache.refreshes',
    '{refresh}',
    'cache.refreshes',
    'Cache entries confirmed again because a hit came near the end of their TTL.',
  ),
  counter(
    'keyward.cache.renewals',
    '{renewal}',
    'cache.renewed',
    'Refreshed entries that the shared level or the store confirmed, living on for another TTL.',
  ),
  counter(
    'keyward.cache.evictions',
    '{eviction}',
    'cache.evictions',
    'Live entries dropped from the in-process cache to make room (a steady rise: cache.max is too small).',
  ),
  counter(
    'keyward.cache.coalesced_misses',
    '{miss}',
    'coalesced',
    'Cache misses that joined a verification already in flight for the same token.',
  ),
  counter(
    'keyward.cache.shared.writes',
    '{write}',
    'sharedCache.writes',
    'Entries written to the shared cache.',
  ),
  counter(
    'keyward.cache.shared.errors',
    '{error}',
    'sharedCache.errors',
    'Shared cache commands that failed.',
  ),
  counter(
    'keyward.cache.shared.forged_entries',
    '{entry}',
    'sharedCache.forged',
    'Shared cache entries whose MAC did not verify under the deployment key (each a miss).',
  ),
  {
    name: 'keyward.cache.shared.down',
    kind: 'gauge',
    unit: '1',
    description: '1 while the shared cache is failing, else 0.',
    attributes: [],
    reads: ['sharedCache.down'],
    points: (stats) => [{ value: stats.sharedCache.down ? 1 : 0, attributes: NO_ATTRIBUTES }],
  },
  counter(
    'keyward.store.reads',
    '{read}',
    'storeReads',
    'Token lookups sent to the store (cache misses that reached it).',
  ),
  counter(
    'keyward.store.errors',
    '{error}',
    'errors.store',
    'Store operations that failed (refused reads aside).',
  ),
  upDown(
    'keyward.store.active_reads',
    '{read}',
    'storeGate.inFlight',
    'Store reads started and not yet settled.',
  ),
  gauge(
    'keyward.store.peak_active_reads',
    '{read}',
    'storeGate.peakInFlight',
    'The most store reads in flight at once since start.',
  ),
  split(
    {
      name: 'keyward.store.refused_reads',
      kind: 'counter',
      unit: '{read}',
      description: 'Store reads not started: too many in flight, or the breaker open.',
    },
    'refusal',
    { overloaded: 'storeGate.overloaded', breaker_open: 'storeGate.refused' },
  ),
  counter(
    'keyward.store.read_timeouts',
    '{read}',
    'storeGate.timeouts',
    'Store reads that gave no answer within the store timeout.',
  ),
  counter(
    'keyward.store.read_failures',
    '{read}',
    'storeGate.failures',
    'Store reads that failed, timeouts included.',
  ),
  {
    name: 'keyward.store.breaker.status',
    kind: 'gauge',
    unit: '1',
    description:
      'The state of the breaker in front of store reads: 1 for the current state, 0 for the others.',
    attributes: ['state'],
    reads: ['storeGate.breaker'],
    points: (stats) =>
      BREAKER_STATES.map((state) => ({
        value: stats.storeGate.breaker === state ? 1 : 0,
        attributes: { state },
      })),
  },
  counter(
    'keyward.store.breaker.openings',
    '{opening}',
    'storeGate.opened',
    'Times the breaker in front of store reads opened.',
  ),
  counter(
    'keyward.hash.verifications',
    '{verification}',
    'hashVerifications',
    'Secrets verified against their stored hash.',
  ),
  counter(
    'keyward.hash.rehashes',
    '{rehash}',
    'rehashes',
    'Stored hashes replaced because the hashing parameters changed.',
  ),
  counter(
    'keyward.hash.errors',
    '{error}',
    'errors.hasher',
    'Hash verifications that failed (threw) rather than answered.',
  ),
  {
    name: 'keyward.rejections',
    kind: 'counter',
    unit: '{rejection}',
    description: 'Requests refused, by reason.',
    attributes: ['reason'],
    reads: ['rejections.*'],
    points: (stats) =>
      Object.entries(stats.rejections).map(([reason, value]) => ({ value, attributes: { reason } })),
  },
  counter(
    'keyward.protection.refused_verifications',
    '{verification}',
    'protection.verifyRejected',
    'Verifications refused because the verification queue was full.',
  ),
  gauge(
    'keyward.protection.peak_queued_verifications',
    '{verification}',
    'protection.verifyQueuePeak',
    'The most verifications that waited at once since start.',
  ),
  counter(
    'keyward.protection.negative_cache.hits',
    '{hit}',
    'protection.negativeHits',
    'Requests answered from the negative cache of refused tokens.',
  ),
  counter(
    'keyward.protection.throttled_attempts',
    '{attempt}',
    'protection.throttled',
    'Wrong-secret attempts refused without hashing (throttled token ids).',
  ),
  counter(
    'keyward.last_used.statements',
    '{statement}',
    'lastUsed.statements',
    'Statements that wrote last-used times.',
  ),
  counter('keyward.last_used.rows', '{row}', 'lastUsed.rows', 'Last-used times written.'),
  upDown(
    'keyward.last_used.pending',
    '{token}',
    'lastUsed.pending',
    'Last-used times waiting for the next flush.',
  ),
  counter(
    'keyward.last_used.errors',
    '{error}',
    'lastUsed.errors',
    'Last-used flushes that failed (their times are kept for the next one).',
  ),
  counter(
    'keyward.session.version_reads',
    '{read}',
    'sessions.versionReads',
    'Session versions read from the store.',
  ),
  counter('keyward.session.issued', '{session}', 'sessions.issued', 'Session tokens issued.'),
  counter('keyward.session.bumps', '{bump}', 'sessions.bumps', 'Session version bumps (log out everywhere).'),
  {
    name: 'keyward.invalidation.subscribed',
    kind: 'gauge',
    unit: '1',
    description: '1 while this process receives invalidations on its channel, else 0.',
    attributes: ['channel'],
    reads: ['invalidations.channel', 'invalidations.subscribed'],
    points: (stats) => [
      { value: stats.invalidations.subscribed ? 1 : 0, attributes: { channel: stats.invalidations.channel } },
    ],
  },
  {
    name: 'keyward.invalidation.fallback_bound',
    kind: 'gauge',
    unit: 's',
    description:
      'The cache TTL: how long a revocation may take to reach other processes while no channel carries it.',
    attributes: [],
    reads: ['invalidations.fallbackBound'],
    points: (stats) => [{ value: stats.invalidations.fallbackBound / 1000, attributes: NO_ATTRIBUTES }],
  },
  counter(
    'keyward.invalidation.published',
    '{message}',
    'invalidations.published',
    'Invalidation messages published.',
  ),
  counter(
    'keyward.invalidation.received',
    '{message}',
    'invalidations.received',
    'Invalidation messages received.',
  ),
  counter(
    'keyward.invalidation.errors',
    '{error}',
    'invalidations.errors',
    'Failed attempts to publish or subscribe to invalidations.',
  ),
  counter(
    'keyward.invalidation.gaps',
    '{gap}',
    'invalidations.gaps',
    'Reconnections after which the caches were dropped.',
  ),
  counter(
    'keyward.invalidation.redelivered',
    '{message}',
    'invalidations.redelivered',
    'Invalidations delivered on a later attempt.',
  ),
  upDown(
    'keyward.invalidation.undelivered',
    '{message}',
    'invalidations.undelivered',
    'Invalidations still being retried.',
  ),
  counter(
    'keyward.invalidation.abandoned',
    '{message}',
    'invalidations.abandoned',
    'Invalidations given up once every cache they concern had expired.',
  ),
  counter(
    'keyward.invalidation.forged',
    '{message}',
    'invalidations.forged',
    'Invalidation messages dropped as unsigned or wrongly signed.',
  ),
  counter(
    'keyward.invalidation.replayed',
    '{message}',
    'invalidations.replayed',
    'Authentic invalidation messages dropped as delivered before.',
  ),
  counter(
    'keyward.event.emitted',
    '{event}',
    'events.emitted',
    'Events emitted to the listeners of kw.events.',
  ),
  counter(
    'keyward.event.listener_errors',
    '{error}',
    'events.listenerErrors',
    'Event listeners that threw or rejected (each logged).',
  ),
  counter('keyward.audit.rows', '{row}', 'audit.rows', 'Audit log rows written.'),
  counter(
    'keyward.audit.errors',
    '{row}',
    'audit.errors',
    'Audit log rows that could not be written after their change committed (each warned).',
  ),
  counter(
    'keyward.invalidation.stale',
    '{message}',
    'invalidations.stale',
    'Invalidation messages stamped far from this clock (clocks apart), delivered all the same.',
  ),
]

/**
 * Fields of `KeywardStats` no metric reads, each with the reason. Empty: every field is exported.
 * A new field fails the catalog test until it gets a metric here or a reason to stay out.
 */
export const UNEXPORTED_STATS: Readonly<Record<string, string>> = {}
