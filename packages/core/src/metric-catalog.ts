import { BACKGROUND_METRICS } from './metric-catalog-background.js'
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

/** The request path's metrics: caches, the store, hashing, rejections and their defences. */
const REQUEST_METRICS: readonly KeywardMetric[] = [
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
]

/** Every metric, the request path's first: the order the exporters list them in. */
export const KEYWARD_METRICS: readonly KeywardMetric[] = [...REQUEST_METRICS, ...BACKGROUND_METRICS]

/**
 * Fields of `KeywardStats` no metric reads, each with the reason. Empty: every field is exported.
 * A new field fails the catalog test until it gets a metric here or a reason to stay out.
 */
export const UNEXPORTED_STATS: Readonly<Record<string, string>> = {}
