import { randomUUID } from 'node:crypto'
import type { Clock } from './clock.js'
import { type DurationString, toLifetime } from './duration.js'
import { describeStoreError, KeywardError } from './errors.js'
import { isUserId, requireUserId } from './input.js'
import type { Principal } from './principal.js'
import { normalizeScopes } from './scopes.js'
import {
  isSessionShaped,
  loadJose,
  readClaims,
  SESSION_TOKEN_TYPE,
  type SessionSettings,
} from './session-keys.js'
import { SessionVersions, type VersionSources } from './session-versions.js'
import { withTimeout } from './timeout.js'

export {
  SESSION_TOKEN_TYPE,
  type SessionClaims,
  type SessionOptions,
  type SessionSettings,
  sessionSettings,
} from './session-keys.js'

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

/** What sessions need from the instance: a few values, and no way back into it. */
export type SessionContext = VersionSources & {
  clock: Clock
  allowList: ReadonlySet<string> | null
  storeTimeout: number
}

/** Seconds: the largest `exp` a Date can hold. */
const MAX_EXP = 8_640_000_000_000

const BAD_SESSION: SessionVerdict = Object.freeze({ ok: false, reason: 'bad_session' })

/** Session tokens with a session-version claim: `issue`, `bump`, and the check `authenticate` runs. */
export function createSessions(settings: SessionSettings, context: SessionContext) {
  const { clock } = context
  const { options, signingKey, algorithms, defaultLifetime } = settings
  const stats = { versionReads: 0, issued: 0, bumps: 0 }
  const versions = new SessionVersions(context, { ttl: settings.versionTtl, max: settings.versionMax })
  // Without scopes a session grants everything its user may do: `*`, or with an allow-list, all of it
  // (a session must not carry more than any token could).
  const defaultScopes = context.allowList === null ? ['*'] : [...context.allowList].sort()
  const currentVersion = async (userId: string): Promise<number> => {
    const version = await versions.fresh(userId)
    if (version === null) throw new KeywardError('store_error', 'Could not read the session version.')
    return version
  }

  return {
    maxTokenLength: settings.maxTokenLength,
    get stats() {
      stats.versionReads = versions.stats.versionReads
      return stats
    },
    /** A version learnt from another process (a bump there). */
    noteVersion(userId: string, version: number) {
      versions.raise(userId, version)
    },
    /** Stops trusting every cached version (the bus lost messages). */
    forgetVersions() {
      versions.forgetAll()
    },
    /** Does this credential go to the session check (rather than the PAT parser)? */
    isSessionShaped(credential: string): boolean {
      return isSessionShaped(settings, credential)
    },

    async verify(token: string): Promise<SessionVerdict> {
      const claims = await readClaims(settings, token, { clock, timeout: context.storeTimeout })
      if (claims === 'unavailable') return { ok: false, reason: 'unavailable' }
      if (claims === null || typeof claims !== 'object') return BAD_SESSION
      const { sub, sv, scope, exp, jti } = claims
      if (!isUserId(sub)) return BAD_SESSION
      // Required: a non-negative safe integer. A string, a float, null, a huge number: all refused.
      if (typeof sv !== 'number' || !Number.isSafeInteger(sv) || sv < 0) return BAD_SESSION
      if (scope !== undefined && typeof scope !== 'string') return BAD_SESSION
      // Required, for custom verifiers too: a session that never expires is not a session.
      if (typeof exp !== 'number' || !Number.isFinite(exp) || exp > MAX_EXP) return BAD_SESSION
      const expiresAt = exp * 1000
      if (expiresAt <= clock.now()) return BAD_SESSION

      let current = await versions.cached(sub)
      // A claim ahead of the cache may mean the cache is behind (a bump elsewhere): read once more.
      if (current !== null && sv > current) current = await versions.fresh(sub)
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
      const userId = requireUserId(input?.userId)
      const scopes =
        input.scopes === undefined ? defaultScopes : normalizeScopes(input.scopes, context.allowList)
      const lifetime =
        input.expiresIn === undefined
          ? defaultLifetime
          : toLifetime(input.expiresIn, 'expiresIn', 'invalid_argument')
      // Fresh: a token minted with a version this process has not heard of would be refused elsewhere.
      const version = await currentVersion(userId)
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

    /**
     * Log out everywhere: every session token issued before is refused from now on, here at once;
     * the caller tells the other processes (and announces it).
     */
    async bump(userId: string, at: number): Promise<number> {
      requireUserId(userId)
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
      versions.raise(userId, version)
      stats.bumps++
      return version
    },

    async version(userId: string): Promise<number> {
      requireUserId(userId)
      return currentVersion(userId)
    },
  }
}

export type Sessions = ReturnType<typeof createSessions>
