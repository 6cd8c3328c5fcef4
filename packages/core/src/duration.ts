import { KeywardError, type KeywardErrorCode } from './errors.js'

/** Milliseconds, or a string such as `'500ms'`, `'30s'`, `'10m'`, `'1h'`, `'90d'`, `'2w'`. */
export type Duration = number | `${number}${DurationUnit}`
type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w'

const UNIT_MS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/**
 * The longest duration accepted: 100 years (36525 days). Far within what a Date holds (8.64e15 ms
 * from the epoch), so that `now + duration` is always a valid expiry and cache deadline.
 */
export const MAX_DURATION_MS = 36_525 * 86_400_000

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/

/**
 * Parses a duration into whole milliseconds; throws a KeywardError naming `what` when it is not one
 * (`invalid_option`), or when it is longer than 100 years (`tooLong`, for a call's argument).
 */
export function toMilliseconds(
  value: Duration,
  what: string,
  tooLong: KeywardErrorCode = 'invalid_option',
): number {
  let ms: number
  if (typeof value === 'number') {
    ms = value
  } else {
    const match = typeof value === 'string' ? DURATION_PATTERN.exec(value.trim()) : null
    if (!match) {
      throw new KeywardError(
        'invalid_option',
        `${what} must be milliseconds or a duration such as '30s', '10m', '1h' or '90d'; got ${JSON.stringify(value)}.`,
      )
    }
    ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit]
  }
  if (!Number.isFinite(ms) || ms < 0) {
    throw new KeywardError('invalid_option', `${what} must be a non-negative, finite duration; got ${value}.`)
  }
  if (ms > MAX_DURATION_MS) {
    throw new KeywardError(
      tooLong,
      `${what} must be at most 100 years ('36525d'); got ${JSON.stringify(value)}.`,
    )
  }
  return Math.round(ms)
}
