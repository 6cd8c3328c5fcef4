import { type DurationString, toLifetime } from './duration.js'
import { KeywardError } from './errors.js'
import { requireExpiry } from './input.js'
import { assertKnownKeys } from './option-checks.js'

/**
 * The lifetime policy of personal access tokens (`tokenLifetime`), applied by `create` and
 * `rotate`. By default tokens expire, as GitHub's and GitLab's do: in 90 days unless asked
 * otherwise, at most a year ahead, never "never".
 */
export type TokenLifetimeOptions = {
  /**
   * A token created without `expiresIn`/`expiresAt` expires after this. Default `'90d'`, or
   * `maxLifetime` when shorter; null: never (needs `allowNeverExpiring`).
   */
  defaultExpiresIn?: DurationString | null
  /** The longest lifetime a token may be given or keep through rotation. Default `'365d'`; null: no maximum (100 years). */
  maxLifetime?: DurationString | null
  /** Whether `expiresIn: null` (a token that never expires) is allowed. Default false. */
  allowNeverExpiring?: boolean
}

export type LifetimePolicy = {
  readonly defaultMs: number | null
  readonly maxMs: number | null
  readonly allowNeverExpiring: boolean
}

const KNOWN = new Set(['defaultExpiresIn', 'maxLifetime', 'allowNeverExpiring'])

function invalid(message: string): never {
  throw new KeywardError('invalid_option', `tokenLifetime: ${message}`)
}

const durationOrNull = (value: unknown, what: string): number | null =>
  value === null ? null : toLifetime(value, `tokenLifetime.${what}`, 'invalid_option')

/** The policy from the option, validated up front, rules across its options included. */
export function lifetimePolicy(options: unknown = {}): LifetimePolicy {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    invalid('must be an object { defaultExpiresIn?, maxLifetime?, allowNeverExpiring? }.')
  }
  assertKnownKeys(options, KNOWN, (key) => `tokenLifetime: unknown option ${JSON.stringify(key)}`)
  const given = options as TokenLifetimeOptions
  const allowNeverExpiring = given.allowNeverExpiring ?? false
  if (typeof allowNeverExpiring !== 'boolean') invalid('allowNeverExpiring must be true or false.')
  if (allowNeverExpiring && given.maxLifetime != null) {
    invalid(
      'allowNeverExpiring: true admits tokens beyond any maxLifetime: set maxLifetime: null, or leave it out.',
    )
  }
  const maxMs = durationOrNull(
    given.maxLifetime === undefined ? (allowNeverExpiring ? null : '365d') : given.maxLifetime,
    'maxLifetime',
  )
  // Left out, the default is 90 days, or the maximum when that is shorter ({ maxLifetime: '30d' }).
  const defaultMs =
    given.defaultExpiresIn === undefined
      ? Math.min(durationOrNull('90d', 'defaultExpiresIn') as number, maxMs ?? Number.POSITIVE_INFINITY)
      : durationOrNull(given.defaultExpiresIn, 'defaultExpiresIn')
  if (defaultMs === null && !allowNeverExpiring) {
    invalid('defaultExpiresIn: null (never expire) needs allowNeverExpiring: true.')
  }
  if (defaultMs !== null && maxMs !== null && defaultMs > maxMs) {
    invalid(
      `defaultExpiresIn (${given.defaultExpiresIn ?? '90d'}) must be at most maxLifetime (${given.maxLifetime ?? '365d'}).`,
    )
  }
  return Object.freeze({ defaultMs, maxMs, allowNeverExpiring })
}

function days(ms: number): string {
  return `${Math.round((ms / 86_400_000) * 100) / 100}d`
}

/** A new token's expiry (epoch ms, null: never) from the caller's input under the policy. */
export function expiryUnder(
  policy: LifetimePolicy,
  input: { expiresIn?: DurationString | null | undefined; expiresAt?: Date | undefined },
  now: number,
): number | null {
  if (input.expiresIn === undefined && input.expiresAt === undefined) {
    return policy.defaultMs === null ? null : now + policy.defaultMs
  }
  const expiresAt = requireExpiry(input as { expiresIn?: DurationString | null; expiresAt?: Date }, now)
  if (expiresAt === null) {
    if (policy.allowNeverExpiring) return null
    throw new KeywardError(
      'invalid_argument',
      "A token that never expires is not allowed (tokenLifetime.allowNeverExpiring is false): pass expiresIn such as '90d', or leave it out for the default.",
    )
  }
  if (policy.maxMs !== null && expiresAt - now > policy.maxMs) {
    throw new KeywardError(
      'invalid_argument',
      `The token would live longer than tokenLifetime.maxLifetime (${days(policy.maxMs)}).`,
    )
  }
  return expiresAt
}

/**
 * A rotation's successor keeps its predecessor's lifetime, within the policy: clamped to the
 * maximum, and a never-expiring one given the default lifetime when the policy no longer allows it.
 */
export function rotatedExpiry(
  policy: LifetimePolicy,
  old: { createdAt: number; expiresAt: number | null },
  now: number,
): number | null {
  if (old.expiresAt === null) {
    if (policy.allowNeverExpiring) return null
    return now + (policy.defaultMs ?? policy.maxMs ?? 0)
  }
  const lifetime = old.expiresAt - old.createdAt
  return now + (policy.maxMs === null ? lifetime : Math.min(lifetime, policy.maxMs))
}

/** The lifetime policy as apps and pages read it (`kw.tokenLifetime`), in duration strings. */
export type TokenLifetime = {
  readonly defaultExpiresIn: DurationString | null
  readonly maxLifetime: DurationString | null
  readonly allowNeverExpiring: boolean
  /** The expiries a form offers: common ones within the maximum, and the default; never "never". */
  readonly choices: readonly DurationString[]
}

const COMMON_CHOICES: readonly DurationString[] = ['7d', '30d', '60d', '90d', '180d', '365d']
const DISPLAY_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
]

/** Milliseconds as the largest whole unit that fits (`7776000000` → `'90d'`). */
function durationString(ms: number): DurationString {
  for (const [unit, size] of DISPLAY_UNITS) {
    if (ms % size === 0) return `${ms / size}${unit}` as DurationString
  }
  return `${ms}ms`
}

export function describeLifetime(policy: LifetimePolicy): TokenLifetime {
  const maxMs = policy.maxMs ?? Number.POSITIVE_INFINITY
  const choices = new Map<number, DurationString>()
  for (const choice of COMMON_CHOICES) {
    const ms = toLifetime(choice, 'choice')
    if (ms <= maxMs) choices.set(ms, choice)
  }
  if (policy.defaultMs !== null) choices.set(policy.defaultMs, durationString(policy.defaultMs))
  return Object.freeze({
    defaultExpiresIn: policy.defaultMs === null ? null : durationString(policy.defaultMs),
    maxLifetime: policy.maxMs === null ? null : durationString(policy.maxMs),
    allowNeverExpiring: policy.allowNeverExpiring,
    choices: Object.freeze([...choices].sort(([a], [b]) => a - b).map(([, choice]) => choice)),
  })
}
