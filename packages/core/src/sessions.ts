import { randomUUID } from 'node:crypto'
import type { CryptoKey, JWTVerifyGetKey, KeyObject } from 'jose'
import type { Clock } from './clock.js'
import { type Duration, type DurationString, toLifetime, toMilliseconds } from './duration.js'
import { describeStoreError, KeywardError } from './errors.js'
import { requireText } from './input.js'
import { growingLru } from './lru.js'
import type { Principal } from './principal.js'
import { normalizeScopes } from './scopes.js'
import type { InvalidationMessage, SharedCache } from './shared-cache.js'
import type { KeywardStore } from './store.js'
import type { StoreReads } from './store-reads.js'
import { TIMEOUT, withTimeout } from './timeout.js'

type SigningKey = CryptoKey | KeyObject | Uint8Array

// jose holds about 0.7 MiB of heap once loaded, and every live byte slows the host app's GC: only an
// instance that signs or verifies session tokens itself loads it.
let jose: Promise<typeof import('jose')> | undefined
const loadJose = () => {
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

export type IssuedSession = {
  readonly token: string
  readonly sessionId: string
  /** The session version the token carries. */
  readonly version: number
  readonly expiresAt: Date
}

export type SessionVerdict =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'bad_session' | 'stale_session' | 'unavailable' }

/**
 * The JOSE `typ` of every session token, issued and required, so that a JWT the same key signed for
 * another purpose (an ID token, an email link) is not taken for a session.
 */
export const SESSION_TOKEN_TYPE = 'kw-session+jwt'
/** Seconds: the largest `exp` a Date can hold. */
const MAX_EXP = 8_640_000_000_000
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const SESSION_OPTIONS = new Set([
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

function invalid(message: string): never {
  throw new KeywardError('invalid_option', `sessions: ${message}`)
}

/** Session tokens with a session-version claim: `issue`, `bump`, and the check `authenticate` runs. */
export function createSessions(
  options: SessionOptions,
  context: {
    clock: Clock
    store: () => Promise<KeywardStore>
    allowList: ReadonlySet<string> | null
    onStoreError: (error: unknown) => void
    storeTimeout: number
    /** The gate version reads pass (bound, timeout with cancellation, breaker). */
    storeReads: StoreReads
    /** The shared level, consulted before the store for versions. */
    shared: () => SharedCache | null
    sharedTtl: number
    onSharedError: (error: unknown) => void
    onSharedSuccess: () => void
    /** Tells every process (and the shared level) about a bump. */
    propagate: (message: InvalidationMessage, during: string) => Promise<void>
  },
) {
  if (typeof options !== 'object' || options === null) invalid('expected an options object.')
  for (const key of Object.keys(options)) {
    if (!SESSION_OPTIONS.has(key)) invalid(`unknown option ${JSON.stringify(key)}.`)
  }
  const { clock } = context
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
  // Loading starts now so that the first session token does not wait for it; a failure surfaces there.
  if (options.verify === undefined) loadJose().catch(() => {})
  const defaultLifetime = toLifetime(options.expiresIn ?? '1h', 'sessions.expiresIn', 'invalid_option')
  const maxTokenLength = options.maxTokenLength ?? 4096
  if (!Number.isSafeInteger(maxTokenLength) || maxTokenLength < 256 || maxTokenLength > 16_384) {
    invalid('maxTokenLength must be an integer from 256 to 16384.')
  }
  const versionTtl = toMilliseconds(options.versionCache?.ttl ?? '60s', 'sessions.versionCache.ttl')
  const versionMax = options.versionCache?.max ?? 10_000
  if (!Number.isSafeInteger(versionMax) || versionMax < 1)
    invalid('versionCache.max must be a positive integer.')

  const stats = { versionReads: 0, issued: 0, bumps: 0 }
  // Without scopes a session grants everything its user may do: `*`, or with an allow-list, all of it
  // (a session must not carry more than any token could).
  const defaultScopes = context.allowList === null ? ['*'] : [...context.allowList].sort()

  /**
   * Versions as read (store or shared level), with when they were read. `fetch()` coalesces
   * concurrent misses for one user into one read. Nothing ever `set()`s or clears this cache while a
   * read may be in flight (lru-cache would cancel the read): what is learnt otherwise goes to `floors`.
   */
  type Read = { version: number; at: number }
  const reads = growingLru<string, Read>(versionMax, {
    ttl: Math.max(versionTtl, 1),
    perf: clock,
    // Read the clock on every check: an injected clock may jump, and a version must not outlive its TTL.
    ttlResolution: 0,
    fetchMethod: async (userId): Promise<Read> => {
      const at = clock.now()
      const shared = context.shared()
      if (shared) {
        try {
          const cached = await shared.readVersion(userId)
          context.onSharedSuccess()
          if (cached !== null) return { version: cached.version, at }
        } catch (error) {
          context.onSharedError(error)
        }
      }
      return { version: await readStore(userId), at }
    },
  })
  /** The highest version learnt from a bump here or a message from elsewhere. Versions only grow. */
  const floors = growingLru<string, number>(versionMax, {
    ttl: Math.max(versionTtl, 1),
    perf: clock,
    ttlResolution: 0,
  })
  /** Reads older than this are not trusted (the bus lost messages). */
  let trustedSince = Number.NEGATIVE_INFINITY
  /** Fresh reads, straight from the store, one at a time per user. */
  const freshReads = new Map<string, Promise<number>>()

  async function readStore(userId: string): Promise<number> {
    const store = await context.store()
    const version = await context.storeReads.read((signal) => {
      stats.versionReads++
      return store.getSessionVersion(userId, signal)
    })
    context
      .shared()
      ?.writeVersion(userId, { version, validUntil: clock.now() + context.sharedTtl }, context.sharedTtl)
      .then(context.onSharedSuccess, context.onSharedError)
    return version
  }

  const raise = (userId: string, version: number) => {
    if (version > (floors.get(userId) ?? -1)) floors.set(userId, version)
  }

  /** From the store itself, bypassing both cache levels (either may be behind). Null on failure. */
  async function freshVersion(userId: string): Promise<number | null> {
    let pending = freshReads.get(userId)
    if (!pending) {
      pending = readStore(userId).finally(() => freshReads.delete(userId))
      freshReads.set(userId, pending)
    }
    try {
      const version = await pending
      raise(userId, version)
      return Math.max(version, floors.get(userId) ?? 0)
    } catch (error) {
      context.onStoreError(error)
      return null
    }
  }

  /** The cached version (a read within the TTL, raised by what was learnt since), or null on failure. */
  async function cachedVersion(userId: string): Promise<number | null> {
    try {
      let read = await reads.fetch(userId)
      if (read !== undefined && read.at < trustedSince)
        read = await reads.fetch(userId, { forceRefresh: true })
      if (read === undefined) return null
      return Math.max(read.version, floors.get(userId) ?? 0)
    } catch (error) {
      // A read cancelled by eviction is not an outage: read again, once, from the store.
      if ((error as Error)?.name === 'AbortError') return freshVersion(userId)
      context.onStoreError(error)
      return null
    }
  }

  /** The claims, null for an invalid token, or 'unavailable' when the verifier could not answer. */
  async function claimsOf(token: string): Promise<SessionClaims | null | 'unavailable'> {
    if (options.verify) {
      const verify = options.verify
      try {
        const claims = await withTimeout(
          Promise.resolve().then(() => verify(token)),
          context.storeTimeout,
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
        algorithms,
        currentDate: new Date(clock.now()),
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

  return {
    maxTokenLength,
    versionTtl,
    stats,
    /** A version learnt from another process (a bump there). */
    noteVersion(userId: string, version: number) {
      raise(userId, version)
    },
    /** Stops trusting every cached version (the bus lost messages). */
    forgetVersions() {
      trustedSince = clock.now()
      floors.clear()
    },
    /** Does this credential go to the session check (rather than the PAT parser)? */
    claims(credential: string): boolean {
      return options.verify !== undefined || JWT_SHAPE.test(credential)
    },

    async verify(token: string): Promise<SessionVerdict> {
      const claims = await claimsOf(token)
      if (claims === 'unavailable') return { ok: false, reason: 'unavailable' }
      if (claims === null || typeof claims !== 'object') return { ok: false, reason: 'bad_session' }
      const { sub, sv, scope, exp, jti } = claims
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255)
        return { ok: false, reason: 'bad_session' }
      // Required: a non-negative safe integer. A string, a float, null, a huge number: all refused.
      if (typeof sv !== 'number' || !Number.isSafeInteger(sv) || sv < 0)
        return { ok: false, reason: 'bad_session' }
      if (scope !== undefined && typeof scope !== 'string') return { ok: false, reason: 'bad_session' }
      // Required, for custom verifiers too: a session that never expires is not a session.
      if (typeof exp !== 'number' || !Number.isFinite(exp) || exp > MAX_EXP)
        return { ok: false, reason: 'bad_session' }
      const expiresAt = exp * 1000
      if (expiresAt <= clock.now()) return { ok: false, reason: 'bad_session' }

      let current = await cachedVersion(sub)
      // A claim ahead of the cache may mean the cache is behind (a bump elsewhere): read once more.
      if (current !== null && sv > current) current = await freshVersion(sub)
      if (current === null) return { ok: false, reason: 'unavailable' }
      if (sv !== current) return { ok: false, reason: 'stale_session' }
      const principal: Principal = Object.freeze({
        kind: 'session',
        userId: sub,
        scopes: Object.freeze(scope === undefined ? [] : scope.split(' ').filter(Boolean)),
        expiresAt: new Date(expiresAt),
        ...(typeof jti === 'string' ? { sessionId: jti } : {}),
      })
      return { ok: true, principal }
    },

    async issue(input: {
      userId: string
      scopes?: readonly string[]
      expiresIn?: DurationString
    }): Promise<IssuedSession> {
      if (signingKey === null) {
        throw new KeywardError(
          'invalid_option',
          'sessions.issue() needs a secret or a privateKey to sign with.',
        )
      }
      const userId = requireText(input?.userId, 'userId')
      const scopes =
        input.scopes === undefined ? defaultScopes : normalizeScopes(input.scopes, context.allowList)
      const lifetime =
        input.expiresIn === undefined
          ? defaultLifetime
          : toLifetime(input.expiresIn, 'expiresIn', 'invalid_argument')
      // Fresh: a token minted with a version this process has not heard of would be refused elsewhere.
      const version = await freshVersion(userId)
      if (version === null) throw new KeywardError('store_error', 'Could not read the session version.')
      const now = clock.now()
      const expiresAt = now + lifetime
      const sessionId = randomUUID()
      const { SignJWT } = await loadJose()
      const jwt = new SignJWT({ sv: version, scope: scopes.join(' ') })
        .setProtectedHeader({ alg: algorithms[0] ?? 'HS256', typ: SESSION_TOKEN_TYPE })
        .setSubject(userId)
        .setIssuedAt(Math.floor(now / 1000))
        .setExpirationTime(Math.floor(expiresAt / 1000))
        .setJti(sessionId)
      if (options.issuer !== undefined) jwt.setIssuer(options.issuer)
      if (options.audience !== undefined) jwt.setAudience(options.audience)
      stats.issued++
      return Object.freeze({
        token: await jwt.sign(signingKey),
        sessionId,
        version,
        expiresAt: new Date(Math.floor(expiresAt / 1000) * 1000),
      })
    },

    /** Log out everywhere: every session token issued before is refused from now on. */
    async bump(userId: string, at: number): Promise<number> {
      requireText(userId, 'userId')
      let version: number
      try {
        version = await withTimeout(
          (await context.store()).bumpSessionVersion(userId, at),
          context.storeTimeout,
        )
      } catch (error) {
        throw new KeywardError(
          'store_error',
          `The token store failed during a session bump: ${describeStoreError(error)}`,
        )
      }
      raise(userId, version)
      stats.bumps++
      await context.propagate({ user: { id: userId, version } }, 'The session bump')
      return version
    },

    async version(userId: string): Promise<number> {
      requireText(userId, 'userId')
      const version = await freshVersion(userId)
      if (version === null) throw new KeywardError('store_error', 'Could not read the session version.')
      return version
    },
  }
}

export type Sessions = ReturnType<typeof createSessions>
