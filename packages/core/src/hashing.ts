import { createHash, timingSafeEqual } from 'node:crypto'
import argon2 from 'argon2'
import { KeywardError } from './errors.js'
import { integerOption } from './option-checks.js'

export type Argon2Parameters = {
  /** KiB. OWASP's minimum for argon2id: 19456 (19 MiB). */
  memoryCost: number
  timeCost: number
  parallelism: number
}

/** A hasher's algorithm and, for argon2id, its parameters (`argon2Hasher().parameters`). */
export type HasherParameters = Readonly<{ algorithm: string } & Partial<Argon2Parameters>>

/**
 * How token secrets are kept at rest. `verify` must return false (never throw) for a wrong secret
 * and for a stored hash it does not accept; it throws only when it cannot answer, and the request
 * is then answered 503. `accepts` lets the caller refuse such a row before any expensive work.
 */
export interface TokenHasher {
  /** A PHC-style string for the store. */
  hash(secret: string): Promise<string>
  verify(stored: string, secret: string): Promise<boolean>
  /** True when `stored` verifies but was made with other parameters than the current ones. */
  needsRehash(stored: string): boolean
  /** False when `stored` is not one of ours or lies outside the configured bounds. Cheap. */
  accepts(stored: string): boolean
  /** What it hashes with, for `kw.doctor()` to weigh against the time a hash takes. Optional. */
  readonly parameters?: HasherParameters
}

export type Argon2HasherOptions = Partial<Argon2Parameters> & {
  /**
   * The largest parameters a stored hash may carry and still be verified. A row with more is
   * refused without running argon2, so a tampered row cannot set the cost of a request.
   * Defaults to the configured parameters: raise it only while migrating down to cheaper ones.
   */
  maxParameters?: Partial<Argon2Parameters>
}

export const OWASP_ARGON2ID: Readonly<Argon2Parameters> = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
})

const PHC_ARGON2ID = /^\$argon2id\$v=19\$([a-z0-9=,]{1,64})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{22,}$/
const PHC_PARAMETER = /^([mtp])=(\d{1,10})$/

/** The parameters of an argon2id PHC string (in any order), or null if it is not one. */
function parseArgon2id(stored: string): Argon2Parameters | null {
  const match = PHC_ARGON2ID.exec(stored)
  if (!match?.[1]) return null
  const found: Partial<Record<'m' | 't' | 'p', number>> = {}
  for (const pair of match[1].split(',')) {
    const parameter = PHC_PARAMETER.exec(pair)
    if (!parameter) return null
    const key = parameter[1] as 'm' | 't' | 'p'
    if (found[key] !== undefined) return null
    found[key] = Number(parameter[2])
  }
  if (found.m === undefined || found.t === undefined || found.p === undefined) return null
  return { memoryCost: found.m, timeCost: found.t, parallelism: found.p }
}

/**
 * The PHC string format orders argon2's parameters m, t, p, and the reference libargon2 refuses
 * another order; the argon2 package writes m, p, t. The salt and hash are untouched.
 */
function canonicalArgon2id(stored: string): string {
  const found = parseArgon2id(stored)
  if (found === null) return stored
  const { memoryCost: m, timeCost: t, parallelism: p } = found
  return stored.replace(/^(\$argon2id\$v=19\$)[^$]*/, `$1m=${m},t=${t},p=${p}`)
}

/** argon2id (the default), with parameters pinned by configuration. */
export function argon2Hasher(options: Argon2HasherOptions = {}): TokenHasher {
  const params: Argon2Parameters = {
    memoryCost: integerOption(options.memoryCost ?? OWASP_ARGON2ID.memoryCost, 'memoryCost', 1024),
    timeCost: integerOption(options.timeCost ?? OWASP_ARGON2ID.timeCost, 'timeCost', 1),
    parallelism: integerOption(options.parallelism ?? OWASP_ARGON2ID.parallelism, 'parallelism', 1),
  }
  const max: Argon2Parameters = {
    memoryCost: integerOption(
      options.maxParameters?.memoryCost ?? params.memoryCost,
      'maxParameters.memoryCost',
      1,
    ),
    timeCost: integerOption(options.maxParameters?.timeCost ?? params.timeCost, 'maxParameters.timeCost', 1),
    parallelism: integerOption(
      options.maxParameters?.parallelism ?? params.parallelism,
      'maxParameters.parallelism',
      1,
    ),
  }
  if (
    max.memoryCost < params.memoryCost ||
    max.timeCost < params.timeCost ||
    max.parallelism < params.parallelism
  ) {
    throw new KeywardError(
      'invalid_option',
      'maxParameters must not be below the configured argon2 parameters.',
    )
  }

  const accepts = (stored: string): boolean => {
    const found = parseArgon2id(stored)
    return (
      found !== null &&
      // argon2's own lower bounds: at least 8 KiB per lane, one pass, one lane.
      found.memoryCost >= 8 * found.parallelism &&
      found.timeCost >= 1 &&
      found.parallelism >= 1 &&
      found.memoryCost <= max.memoryCost &&
      found.timeCost <= max.timeCost &&
      found.parallelism <= max.parallelism
    )
  }

  return {
    hash: async (secret) =>
      canonicalArgon2id(await argon2.hash(secret, { type: argon2.argon2id, ...params })),
    // `accepts` admits only what argon2 can run, so an exception here is a failure (memory, say),
    // not a wrong secret: it propagates, and the request is answered 503 rather than refused.
    async verify(stored, secret) {
      if (!accepts(stored)) return false
      return argon2.verify(stored, secret)
    },
    // A string in another parameter order is rewritten too, so old rows become portable.
    needsRehash(stored) {
      const found = parseArgon2id(stored)
      return (
        found === null ||
        canonicalArgon2id(stored) !== stored ||
        found.memoryCost !== params.memoryCost ||
        found.timeCost !== params.timeCost ||
        found.parallelism !== params.parallelism
      )
    },
    accepts,
    parameters: Object.freeze({ algorithm: 'argon2id', ...params }),
  }
}

const SHA256_PREFIX = '$sha256$'

function sha256Base64(secret: string): string {
  return createHash('sha256').update(secret).digest('base64')
}

/**
 * SHA-256, for when verification cost matters more than defence in depth. Sound only because a
 * Keyward secret is 256 random bits: unlike a password it cannot be guessed, so slow hashing adds
 * little. A leaked table still cannot be turned into tokens, but it can be checked far faster.
 */
export function sha256Hasher(): TokenHasher {
  const accepts = (stored: string) =>
    stored.startsWith(SHA256_PREFIX) && stored.length === SHA256_PREFIX.length + 44
  return {
    hash: async (secret) => SHA256_PREFIX + sha256Base64(secret),
    async verify(stored, secret) {
      if (!accepts(stored)) return false
      const expected = Buffer.from(stored.slice(SHA256_PREFIX.length), 'base64')
      return expected.length === 32 && timingSafeEqual(expected, createHash('sha256').update(secret).digest())
    },
    needsRehash: (stored) => !accepts(stored),
    accepts,
    parameters: Object.freeze({ algorithm: 'sha256' }),
  }
}
