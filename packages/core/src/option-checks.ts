import { KeywardError, type KeywardErrorCode } from './errors.js'

/**
 * The checks every option goes through, in one place: unknown keys, whole numbers, one error
 * class. Each owner of options (core, sessions, protection, hashing, http, ...) states only what
 * it knows and how it names its options.
 */

/** Throws `invalid_option` (or `code`) with `message`: the one way an option is refused. */
export function invalidOption(message: string, code: KeywardErrorCode = 'invalid_option'): never {
  throw new KeywardError(code, message)
}

/**
 * Refuses any key of `value` that is not in `known`. `unknown(key)` words the refusal in the
 * owner's terms (`Unknown option "x"`, `sessions: unknown option "x"`); the list of known keys follows.
 */
export function assertKnownKeys(
  value: object,
  known: ReadonlySet<string>,
  unknown: (key: string) => string,
  code: KeywardErrorCode = 'invalid_option',
): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) invalidOption(`${unknown(key)} (known: ${[...known].join(', ')}).`, code)
  }
}

/** A safe integer of at least `min` (default 1: a positive integer), else `invalid_option` naming `name`. */
export function integerOption(value: unknown, name: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const wanted =
      min === 1
        ? 'a positive integer'
        : min === 0
          ? 'a non-negative integer'
          : `an integer of at least ${min}`
    invalidOption(`${name} must be ${wanted}; got ${String(value)}.`)
  }
  return value
}
