import type { CryptoKey, JWTVerifyGetKey, KeyObject } from 'jose'
import type { Clock } from './clock.js'
import { type Duration, type DurationString, toLifetime, toMilliseconds } from './duration.js'
import { assertKnownKeys, integerOption, invalidOption } from './option-checks.js'
import { TIMEOUT, withTimeout } from './timeout.js'

type SigningKey = CryptoKey | KeyObject | Uint8Array

// Only an instance that signs or verifies session tokens itself loads jose (its heap cost: see
// docs/benchmark-findings.md).
let jose: Promise<typeof import('jose')> | undefined
export const loadJose = (): Promise<typeof import('jose')> => {
  jose ??= import('jose')
  return jose
}

/** What a session token asserts, as `jwtVerify` or a custom verifier returns it. */
export type SessionClaims = {
  /** The user id. */
  sub?: unknown
  /** The user's session version when the token was issued. */
  sv?: unknown
  /** Space-separated scopes. */
  scope?: unknown
  /** Expiry, in seconds since the epoch (JWT NumericDate). */
  exp?: unknown
  jti?: unknown
}

export type SessionOptions = {
  /** HS256 with this secret (at least 32 bytes): the default mode. */
  secret?: string | Uint8Array
  /** EdDSA or ES256: sign with `privateKey`, verify with `publicKey` (or `jwks`). */
  algorithm?: 'HS256' | 'EdDSA' | 'ES256'
  privateKey?: CryptoKey | KeyObject
  publicKey?: CryptoKey | KeyObject
  /** Verify against a key set: jose's `createRemoteJWKSet(url)` or `createLocalJWKSet(jwks)`. */
  jwks?: JWTVerifyGetKey
  /**
   * Sessions minted elsewhere (PASETO, an identity provider): return the claims, or null (or
   * throw) for an invalid token. Keyward still enforces `sub`, `sv` and `exp` on what it returns.
   */
  verify?: (token: string) => SessionClaims | null | Promise<SessionClaims | null>
  issuer?: string
  audience?: string
  /** Lifetime of `issue()`d tokens when none is given: a duration string of at least `'1m'`. Default `'1h'`. */
  expiresIn?: DurationString
  /** The per-process cache of session versions. Default `{ ttl: '60s', max: 10000 }`. */
  versionCache?: { ttl?: Duration; max?: number }
  /** Longest session token accepted. Default 4096 characters. */
  maxTokenLength?: number
}

/**
 * The JOSE `typ` of every session token, issued and required, so that a JWT the same key signed for
 * another purpose (an ID token, an email link) is not taken for a session.
 */
export const SESSION_TOKEN_TYPE = 'kw-session+jwt'
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const SESSION_OPTIONS: ReadonlySet<string> = new Set([
  'secret',
  'algorithm',
  'privateKey',
  'publicKey',
  'jwks',
  'verify',
  'issuer',
  'audience',
  'expiresIn',
  'versionCache',
  'maxTokenLength',
])

/** The `sessions` option, validated once: keys, lifetimes and the version cache's bounds. */
export type SessionSettings = {
  readonly options: SessionOptions
  readonly signingKey: SigningKey | null
  readonly verificationKey: SigningKey | JWTVerifyGetKey | null
  readonly algorithms: readonly string[]
  readonly defaultLifetime: number
  readonly maxTokenLength: number
  readonly versionTtl: number
  readonly versionMax: number
}

function invalid(message: string): never {
  return invalidOption(`sessions: ${message}`)
}

export function sessionSettings(options: SessionOptions): SessionSettings {
  if (typeof options !== 'object' || options === null) invalid('expected an options object.')
  assertKnownKeys(options, SESSION_OPTIONS, (key) => `sessions: unknown option ${JSON.stringify(key)}`)
  // Asymmetric keys are one mode: sign with privateKey, verify with publicKey or a JWKS (or both).
  const modes = [options.secret, options.publicKey ?? options.privateKey ?? options.jwks, options.verify]
  if (modes.filter((m) => m !== undefined).length !== 1) {
    invalid('configure exactly one of secret, a key pair (privateKey with publicKey or jwks), or verify.')
  }
  let signingKey: SigningKey | null = null
  let verificationKey: SigningKey | JWTVerifyGetKey | null = null
  let algorithms: string[]
  if (options.secret !== undefined) {
    const secret =
      typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret
    if (!(secret instanceof Uint8Array) || secret.length < 32) invalid('secret must be at least 32 bytes.')
    if (options.algorithm !== undefined && options.algorithm !== 'HS256')
      invalid('a secret signs with HS256 only.')
    signingKey = secret
    verificationKey = secret
    algorithms = ['HS256']
  } else if (options.verify !== undefined) {
    if (typeof options.verify !== 'function') invalid('verify must be a function.')
    algorithms = []
  } else {
    const algorithm = options.algorithm
    if (algorithm !== 'EdDSA' && algorithm !== 'ES256')
      invalid("a key pair or JWKS needs algorithm 'EdDSA' or 'ES256'.")
    algorithms = [algorithm]
    signingKey = options.privateKey ?? null
    verificationKey = options.jwks ?? options.publicKey ?? null
    if (verificationKey === null) invalid('a key pair needs publicKey (or jwks) to verify.')
  }
  const defaultLifetime = toLifetime(options.expiresIn ?? '1h', 'sessions.expiresIn', 'invalid_option')
  const maxTokenLength = options.maxTokenLength ?? 4096
  if (!Number.isSafeInteger(maxTokenLength) || maxTokenLength < 256 || maxTokenLength > 16_384) {
    invalid('maxTokenLength must be an integer from 256 to 16384.')
  }
  const versionTtl = toMilliseconds(options.versionCache?.ttl ?? '60s', 'sessions.versionCache.ttl')
  const versionMax = integerOption(options.versionCache?.max ?? 10_000, 'sessions.versionCache.max')
  // Loading starts now so that the first session token does not wait for it; a failure surfaces there.
  if (options.verify === undefined) loadJose().catch(() => {})
  return {
    options,
    signingKey,
    verificationKey,
    algorithms,
    defaultLifetime,
    maxTokenLength,
    versionTtl,
    versionMax,
  }
}

/** Does this credential go to the session check (rather than the PAT parser)? By its shape alone. */
export function isSessionShaped(settings: SessionSettings, credential: string): boolean {
  return settings.options.verify !== undefined || JWT_SHAPE.test(credential)
}

/** The claims, null for an invalid token, or 'unavailable' when the verifier could not answer. */
export async function readClaims(
  settings: SessionSettings,
  token: string,
  context: { clock: Clock; timeout: number },
): Promise<SessionClaims | null | 'unavailable'> {
  const { options, verificationKey, algorithms } = settings
  if (options.verify) {
    const verify = options.verify
    try {
      const claims = await withTimeout(
        Promise.resolve().then(() => verify(token)),
        context.timeout,
      )
      // Copy the claims out now: a throwing getter must not escape later as a 500.
      return claims && typeof claims === 'object' ? { ...claims } : null
    } catch (error) {
      return (error as Error)?.name === TIMEOUT ? 'unavailable' : null
    }
  }
  if (!JWT_SHAPE.test(token) || verificationKey === null) return null
  const { jwtVerify } = await loadJose()
  try {
    const { payload } = await jwtVerify(token, verificationKey as Uint8Array, {
      algorithms: [...algorithms],
      currentDate: new Date(context.clock.now()),
      requiredClaims: ['exp', 'sub'],
      typ: SESSION_TOKEN_TYPE,
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      ...(options.audience === undefined ? {} : { audience: options.audience }),
    })
    return payload
  } catch (error) {
    // A key set that cannot be fetched says nothing about the token: that is an outage, not a 401.
    const code = (error as { code?: unknown })?.code
    const joseRefusal = typeof code === 'string' && code.startsWith('ERR_J') && code !== 'ERR_JWKS_TIMEOUT'
    return options.jwks !== undefined && !joseRefusal ? 'unavailable' : null
  }
}
