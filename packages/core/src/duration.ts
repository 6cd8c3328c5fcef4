import { KeywardError, type KeywardErrorCode } from './errors.js'

/** Milliseconds, or a string such as `'500ms'`, `'30s'`, `'10m'`, `'1h'`, `'90d'`, `'2w'`. */
export type Duration = number | DurationString
/** A duration with its unit, such as `'90d'`: what lifetimes take, where a bare number misleads. */
export type DurationString = `${number}${DurationUnit}`
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
 * or is longer than 100 years, with `code` (`invalid_option` for an option, `invalid_argument` for a
 * call's argument).
 */
export function toMilliseconds(
  value: Duration,
  what: string,
  code: KeywardErrorCode = 'invalid_option',
): number {
  let ms: number
  if (typeof value === 'number') {
    ms = value
  } else {
    const match = typeof value === 'string' ? DURATION_PATTERN.exec(value.trim()) : null
    if (!match) {
      throw new KeywardError(
        code,
        `${what} must be milliseconds or a duration such as '30s', '10m', '1h' or '90d'; got ${JSON.stringify(value)}.`,
      )
    }
    ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit]
  }
  if (!Number.isFinite(ms) || ms < 0) {
    throw new KeywardError(code, `${what} must be a non-negative, finite duration; got ${value}.`)
  }
  if (ms > MAX_DURATION_MS) {
    throw new KeywardError(
      code,
      `${what} must be at most 100 years ('36525d'); got ${JSON.stringify(value)}.`,
    )
  }
  return Math.round(ms)
}

/** The shortest lifetime of a token or session: anything shorter is taken for a unit mistake. */
export const MIN_LIFETIME_MS = 60_000

/**
 * A token's or session's lifetime: a duration string of at least one minute. A bare number is
 * refused, since `expiresIn: 30` would be 30 milliseconds; `instead` names the alternative.
 */
export function toLifetime(
  value: unknown,
  what: string,
  code: KeywardErrorCode = 'invalid_argument',
  instead = '',
): number {
  if (typeof value === 'number') {
    throw new KeywardError(
      code,
      `${what} takes a duration such as '30d' or '1h', not a bare number (${value} would be milliseconds)${instead}.`,
    )
  }
  if (typeof value !== 'string' || !DURATION_PATTERN.test(value.trim())) {
    throw new KeywardError(
      code,
      `${what} takes a duration such as '90d', '12h' or '30m' (units ms, s, m for minutes, h, d, w: there is no month or year unit); got ${JSON.stringify(value)}.`,
    )
  }
  const ms = toMilliseconds(value as Duration, what, code)
  if (ms < MIN_LIFETIME_MS) {
    throw new KeywardError(code, `${what} must be at least 1 minute ('1m'); got ${JSON.stringify(value)}.`)
  }
  return ms
}

/** A rotation's grace period: a duration string, or 0 for "at once" (the one number accepted). */
export function toGracePeriod(value: unknown): number {
  if (typeof value === 'number' && value !== 0) {
    throw new KeywardError(
      'invalid_argument',
      `gracePeriod takes a duration such as '1h' or '10m', or 0 for at once; not a bare number (${value} would be milliseconds).`,
    )
  }
  return toMilliseconds(value as Duration, 'gracePeriod', 'invalid_argument')
}
