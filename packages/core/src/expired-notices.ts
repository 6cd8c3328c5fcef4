import type { Clock } from './clock.js'
import { type EventHub, eventOf } from './events.js'
import { growingLru } from './lru.js'
import type { TokenRow } from './store.js'
import { toRecord } from './token-rows.js'

/** Token ids remembered as told: beyond it the oldest may be told once more. */
const REMEMBERED = 10_000

/**
 * `token.expired`: a stored token found expired on a cache miss, told once per token per process
 * (a bounded memory of ids). Only the miss path calls it, after the store read; a refused token is
 * then negative-cached, so repeated presentations do not come back here.
 */
export function createExpiredNotices(context: { clock: Clock; hub: Pick<EventHub, 'has' | 'emit'> }) {
  const told = growingLru<string, true>(REMEMBERED)
  return (row: TokenRow): void => {
    if (!context.hub.has('token.expired') || told.has(row.id)) return
    told.set(row.id, true)
    const now = context.clock.now()
    context.hub.emit(eventOf('token.expired', now, { token: toRecord(row, now) }))
  }
}
