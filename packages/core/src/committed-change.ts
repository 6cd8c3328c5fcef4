import type { KeywardEvent } from './events.js'
import type { InvalidationMessage } from './shared-cache.js'

/**
 * What follows a management call's commit, in this order: the invalidation (this process's caches,
 * then every other process), then the announcement (the audit log, then the listeners).
 */

export type CommittedChangeContext = {
  /** Drops what changed from the caches here and tells the other processes. */
  propagate: (message: InvalidationMessage, during: string) => Promise<void>
  /** Records the events of a committed change (the audit log), then tells the listeners. */
  announce: (events: readonly KeywardEvent[]) => Promise<void>
}

/**
 * Propagates a committed change, then announces it, whether or not the propagation failed: the
 * change stands in the store either way (a failed propagation throws `invalidation_unconfirmed`).
 * `events` may be a function that builds them (with a read): it runs after the propagation, so
 * that nothing stands between the commit and the invalidation.
 */
export async function propagateThenAnnounce(
  context: CommittedChangeContext,
  message: InvalidationMessage | null,
  during: string,
  events: readonly KeywardEvent[] | (() => Promise<readonly KeywardEvent[]>),
): Promise<void> {
  try {
    if (message !== null) await context.propagate(message, during)
  } finally {
    const built = typeof events === 'function' ? await events() : events
    if (built.length > 0) await context.announce(built)
  }
}
