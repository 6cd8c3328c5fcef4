import type { Clock } from './clock.js'
import { type EventHub, eventOf } from './events.js'
import type { RejectionReason } from './keyward-stats.js'

/**
 * `auth.failures`: every `interval`, the requests refused since the last one, by reason, read from
 * the rejection counters the request path keeps anyway (their difference since the last tick).
 * Nothing is added to any request; the timer runs only while someone listens, and never keeps the
 * process alive. An interval with no refusal emits nothing.
 */
export function createAuthFailures(context: {
  clock: Clock
  interval: number
  rejections: Readonly<Record<RejectionReason, number>>
  hub: Pick<EventHub, 'emit'>
}) {
  const { clock, interval, rejections, hub } = context
  let timer: ReturnType<typeof setInterval> | null = null
  let since = 0
  let seen: Record<RejectionReason, number> = { ...rejections }

  const tick = (): void => {
    const until = clock.now()
    const counts: Partial<Record<RejectionReason, number>> = {}
    let total = 0
    for (const [reason, value] of Object.entries(rejections) as Array<[RejectionReason, number]>) {
      const grown = value - (seen[reason] ?? 0)
      if (grown > 0) {
        counts[reason] = grown
        total += grown
      }
    }
    seen = { ...rejections }
    const from = since
    since = until
    if (total === 0) return
    hub.emit(
      eventOf('auth.failures', until, {
        since: new Date(from),
        until: new Date(until),
        counts: Object.freeze(counts),
        total,
      }),
    )
  }

  return {
    /** Listeners of `auth.failures` came or went: the timer runs while there is any. */
    listeners(count: number): void {
      if (count > 0 && timer === null) {
        // Counted from now: refusals before anyone listened are no one's news.
        seen = { ...rejections }
        since = clock.now()
        timer = setInterval(tick, interval)
        timer.unref?.()
      } else if (count === 0 && timer !== null) {
        clearInterval(timer)
        timer = null
      }
    },
    stop(): void {
      if (timer !== null) clearInterval(timer)
      timer = null
    },
  }
}
