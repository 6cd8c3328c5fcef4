import type { ClientReader } from './client-address.js'
import type { Clock } from './clock.js'
import { headerDigest, tokenDigest } from './digests.js'
import type { EngineCounters } from './engine-stats.js'
import { type AuthorizationInput, parseAuthorization } from './header.js'
import type { AcceptedCredentials, AuthResult, CredentialShape } from './keyward-types.js'
import type { MissResolver } from './miss-resolver.js'
import type { Protection } from './protection.js'
import type { Sessions } from './sessions.js'
import { NO_ENTRY, type TokenCache } from './token-cache.js'
import type { TokenCaches } from './token-caches.js'
import {
  MAX_TOKEN_LENGTH,
  parseToken,
  TOKEN_CHECKSUM_LENGTH,
  TOKEN_ID_LENGTH,
  TOKEN_SECRET_LENGTH,
} from './token-format.js'
import type { Verdicts } from './verdicts.js'

export type AuthenticationContext = {
  tokenPrefix: string
  clock: Clock
  counters: EngineCounters
  cache: TokenCache
  /** What a hit may start: recording a use, a refresh-ahead (the cache says when each is due). */
  caches: Pick<TokenCaches, 'recordUse' | 'startRefresh'>
  protection: Protection
  verdicts: Verdicts
  resolver: MissResolver
  sessions: Sessions | null
}

/**
 * Authentication: the hot path (a cached token), then the full check of a header or a credential,
 * with single flight so that concurrent misses for one token share one store read and one verification.
 */
export function createAuthentication(context: AuthenticationContext) {
  const { tokenPrefix, clock, cache, protection, sessions } = context
  const { recordUse, startRefresh } = context.caches
  const { headerRejected, rejected } = context.verdicts
  const { resolveMiss } = context.resolver
  const stats = context.counters
  const maxTokenLength = sessions?.maxTokenLength ?? MAX_TOKEN_LENGTH
  const patStart = `${tokenPrefix}_`
  let closed = false

  const inFlight = new Map<string, Promise<AuthResult>>()

  /** A credential out of its carrier; `hashed`: the digest of its header when that was canonical. */
  const checkCredentialAs = <Req>(
    credential: string,
    accept: AcceptedCredentials,
    request: Req | undefined,
    readClient: ClientReader<Req> | undefined,
    hashed: string | undefined,
  ): AuthResult | Promise<AuthResult> => {
    const isSession =
      sessions !== null && !credential.startsWith(patStart) && sessions.isSessionShaped(credential)
    // The wrong kind for this route is refused by its shape, before any I/O.
    if (accept === (isSession ? 'pat' : 'session')) return rejected('wrong_kind')
    if (isSession && sessions !== null) {
      if (closed) return rejected('unavailable')
      return sessions.verify(credential).then((verdict) => (verdict.ok ? verdict : rejected(verdict.reason)))
    }
    const parsed = parseToken(credential, tokenPrefix)
    if (!parsed.ok) {
      return parsed.reason === 'too_long' ? headerRejected('token_too_long') : rejected(parsed.reason)
    }
    if (closed) return rejected('unavailable')
    const digest = hashed ?? tokenDigest(credential)
    const now = clock.now()
    const hit = cache.get(digest, now)
    if (hit !== NO_ENTRY) {
      stats.cache.hits++
      if (now >= cache.useDueAt(hit)) recordUse(hit, now)
      if (now >= cache.refreshAt(hit)) startRefresh(hit)
      return cache.result(hit)
    }
    stats.cache.misses++
    if (protection.isRefused(digest)) return rejected('negative_cache')
    const key = `${parsed.token.id}:${digest}`
    const pending = inFlight.get(key)
    if (pending) {
      stats.coalesced++
      return pending
    }
    const client = request === undefined ? undefined : readClient?.(request)
    const result = resolveMiss(parsed.token, digest, client).finally(() => inFlight.delete(key))
    inFlight.set(key, result)
    return result
  }

  const checkHeader = <Req>(
    authorization: AuthorizationInput,
    accept: AcceptedCredentials,
    request: Req | undefined,
    readClient: ClientReader<Req> | undefined,
    hashed: string | undefined,
  ): AuthResult | Promise<AuthResult> => {
    const header = parseAuthorization(authorization, maxTokenLength)
    if (!header.ok) return headerRejected(header.error)
    // The hot path hashed the header; when it is `Bearer <credential>` exactly, that is the token's key.
    const canonical = hashed !== undefined && (authorization as string).startsWith('Bearer ')
    return checkCredentialAs(header.credential, accept, request, readClient, canonical ? hashed : undefined)
  }

  // The hot path: `Bearer <one of our tokens>` already in the cache. Entries are keyed by the digest
  // of exactly that header, so a hit means the header is, byte for byte, one whose token passed the
  // full grammar, checksum and verification before; the header is hashed as it arrived, with
  // nothing cut out of it (hashing a slice costs a copy). Anything else takes the full path below.
  const hotLength = 7 + tokenPrefix.length + 2 + TOKEN_ID_LENGTH + TOKEN_SECRET_LENGTH + TOKEN_CHECKSUM_LENGTH
  const check = <Req>(
    authorization: AuthorizationInput,
    accept: AcceptedCredentials = 'any',
    request?: Req,
    readClient?: ClientReader<Req>,
  ): AuthResult | Promise<AuthResult> => {
    let digest: string | undefined
    if (
      accept !== 'session' &&
      typeof authorization === 'string' &&
      authorization.length === hotLength &&
      !closed
    ) {
      const now = clock.now()
      digest = headerDigest(authorization)
      const hit = cache.get(digest, now)
      if (hit !== NO_ENTRY) {
        stats.cache.hits++
        if (now >= cache.useDueAt(hit)) recordUse(hit, now)
        if (now >= cache.refreshAt(hit)) startRefresh(hit)
        return cache.result(hit)
      }
    }
    return checkHeader(authorization, accept, request, readClient, digest)
  }

  return {
    check,
    /** `check` of a credential with no header around it (a session cookie's value). */
    checkCredential: <Req>(
      credential: string,
      accept: AcceptedCredentials = 'any',
      request?: Req,
      readClient?: ClientReader<Req>,
    ): AuthResult | Promise<AuthResult> => {
      if (typeof credential !== 'string' || credential.length === 0) return headerRejected('missing_token')
      if (credential.length > maxTokenLength) return headerRejected('token_too_long')
      return checkCredentialAs(credential, accept, request, readClient, undefined)
    },
    credentialKind: (credential: string): CredentialShape => {
      if (credential.startsWith(patStart)) return 'pat'
      return sessions?.isSessionShaped(credential) ? 'session' : null
    },
    /** New requests answer 503 from now on. */
    close(): void {
      closed = true
    },
    /** Until no miss is in flight. */
    async drain(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()])
    },
  }
}

export type Authentication = ReturnType<typeof createAuthentication>
