import { counter, type KeywardMetric, NO_ATTRIBUTES, upDown } from './metric-definition.js'

/**
 * The metrics of what runs beside the request path (see metric-catalog.ts, which lists every
 * metric): last-used writes, sessions, invalidations between processes, events and the audit log.
 */
export const BACKGROUND_METRICS: readonly KeywardMetric[] = [
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
