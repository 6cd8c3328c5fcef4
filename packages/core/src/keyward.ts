import { hash as digestOf } from 'node:crypto'
import { CachePressureWarning } from './cache-pressure.js'
import {
  type AuthenticateOptions,
  assertAuthenticateOptions,
  type ClientReader,
  clientOfOptions,
} from './client-address.js'
import { type Clock, systemClock } from './clock.js'
import { type Duration, type DurationString, toGracePeriod, toMilliseconds } from './duration.js'
import {
  type AuthError,
  authError,
  describeStoreError,
  isKeywardError,
  KeywardError,
  unavailableError,
} from './errors.js'
import { argon2Hasher, type TokenHasher } from './hashing.js'
import { type AuthorizationInput, parseAuthorization } from './header.js'
import { busHeartbeat, type Heartbeat, type HeartbeatOptions, heartbeatSettings } from './heartbeat.js'
import { ownerOf, requireDescription, requireMetadata, requireText, requireTokenChanges } from './input.js'
import { deregisterInstance, registerInstance } from './instances.js'
import { type InvalidationChannel, invalidationChannel, noChannelWarning } from './invalidation-channel.js'
import { LastUsedRecorder, type LastUsedStats } from './last-used.js'
import { expiryUnder, lifetimePolicy, rotatedExpiry, type TokenLifetimeOptions } from './lifetime.js'
import type { Principal } from './principal.js'
import { createProtection, type ProtectionOptions, type ProtectionStats } from './protection.js'
import { Redeliveries, type RedeliveryStats } from './redelivery.js'
import { assertScopeSyntax, normalizeScopes } from './scopes.js'
import { createSessions, type IssuedSession, type SessionOptions } from './sessions.js'
import {
  type InvalidationBus,
  type InvalidationMessage,
  type SharedCache,
  type SharedTokenEntry,
  splitInvalidation,
} from './shared-cache.js'
import {
  assertSharedCacheKeyed,
  DeploymentKey,
  deploymentKeyOf,
  signedBus,
  trustedSharedCache,
} from './shared-trust.js'
import type { KeywardStore, TokenRow, TokenStatus } from './store.js'
import { isReadRefusal, type StoreReadOptions, type StoreReadStats, StoreReads } from './store-reads.js'
import { digestEquals, hashFingerprint, NO_ENTRY, type RefreshDue, TokenCache } from './token-cache.js'
import { assertRoomForToken, maxTokensOption } from './token-cap.js'
import {
  assertTokenPrefix,
  displayPrefix,
  generateToken,
  MAX_TOKEN_LENGTH,
  type ParsedToken,
  parseToken,
  TOKEN_CHECKSUM_LENGTH,
  TOKEN_ID_LENGTH,
  TOKEN_SECRET_LENGTH,
} from './token-format.js'
import { encodeCursor, pageInMemory, requirePageOptions, type TokenPageOptions } from './token-pages.js'
import { cutOffUser, type UserCutOff } from './users.js'
import { RateLimitedWarning } from './warnings.js'

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly error: AuthError }

export type Logger = { warn(message: string): void }

/** Which credentials a route takes: a personal access token, a session token, or either. */
export type CredentialKind = 'any' | 'pat' | 'session'

export type KeywardOptions = {
  /** Where tokens live. Default: from `KEYWARD_DATABASE_URL` (see `storeFromEnv`), migrated on first use. */
  store?: KeywardStore | Promise<KeywardStore>
  /** Tokens read `<prefix>_<id>_<secret><checksum>`. Default `kw`. */
  tokenPrefix?: string
  /** An allow-list checked when a token is created. */
  scopes?: readonly string[]
  /** Default: argon2id at OWASP's minimum (m=19456 KiB, t=2, p=1). */
  hasher?: TokenHasher
  /**
   * The in-process cache of verified tokens; `ttl` is clamped to each token's expiry. Default
   * `'10m'`, or `'5s'` with a shared cache, so that it never outlives an invalidation by much.
   * `sharedTtl` (default `'10m'`) is the TTL of the shared level.
   */
  cache?: { ttl?: Duration; max?: number; sharedTtl?: Duration }
  /** A second cache level and invalidation bus shared by every process: `redisCache()`. */
  sharedCache?: SharedCache
  /** How often pending `last_used_at` writes are flushed (default 1 s). Each token is written at most once per cache TTL. */
  lastUsed?: { flushInterval?: Duration }
  /** Seconds for `Retry-After` when the store cannot answer. Default 5. */
  retryAfter?: number
  /** How long a store read on a cache miss may take before the answer is 503. Default `'3s'`. */
  storeTimeout?: Duration
  /**
   * The gate in front of store reads on the request path (misses, refreshes, session versions): a
   * bound on reads in flight and a circuit breaker; see `StoreReadOptions`.
   */
  storeReads?: StoreReadOptions
  /** Defences of the miss path against floods of bad tokens; see `ProtectionOptions`. */
  protection?: ProtectionOptions
  clock?: Clock
  /** Receives operational warnings (store outages); never a token. Default: console. */
  logger?: Logger
  /** Session tokens with a session-version (`sv`) claim; see `SessionOptions`. */
  sessions?: SessionOptions
  /**
   * Active tokens one user may hold (default 1000): `tokens.create()` beyond it throws
   * `too_many_tokens`. It bounds what one `revokeAll()` must tell every process.
   */
  maxTokensPerUser?: number
  /**
   * The lifetime policy of tokens: `{ defaultExpiresIn: '90d', maxLifetime: '365d',
   * allowNeverExpiring: false }` by default; see `TokenLifetimeOptions`.
   */
  tokenLifetime?: TokenLifetimeOptions
  /**
   * A heartbeat on the invalidation channel (Postgres LISTEN, Redis pub/sub): each process sends
   * one every `interval` (default `'15s'`) and expects its own back within `timeout` (default
   * `'10s'`); else the channel is declared down (warned, caches dropped, reconnected). `false`: none.
   */
  heartbeat?: HeartbeatOptions | false
}

export type { TokenStatus } from './store.js'
export type { TokenPageOptions } from './token-pages.js'

/** One page of `tokens.page()`: `nextCursor` continues it, null on the last page. */
export type TokenPage = { readonly tokens: readonly TokenRecord[]; readonly nextCursor: string | null }

/** A token as users and admins see it: never the secret, never its hash. */
export type TokenRecord = {
  readonly id: string
  readonly userId: string
  readonly name: string
  /** e.g. `myapp_3fK9x2…`, for telling tokens apart in a list. */
  readonly prefix: string
  readonly scopes: readonly string[]
  readonly status: TokenStatus
  readonly createdAt: Date
  readonly expiresAt: Date | null
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
  readonly revokedReason: string | null
  readonly metadata: Readonly<Record<string, unknown>> | null
  /** What the owner wrote about the token; null when unset. */
  readonly description: string | null
}

export type CreateTokenInput = {
  userId: string
  name: string
  scopes?: readonly string[]
  /**
   * A duration string of at least `'1m'`, such as `'90d'` (a bare number is refused), or null for a
   * token that never expires (only with `tokenLifetime.allowNeverExpiring`). Default:
   * `tokenLifetime.defaultExpiresIn` (90 days); at most `tokenLifetime.maxLifetime` (a year).
   */
  expiresIn?: DurationString | null
  /** An absolute expiry instead of `expiresIn`. */
  expiresAt?: Date
  metadata?: Record<string, unknown>
  /** What the token is for, up to 1024 characters. */
  description?: string | null
}

export type CreatedToken = {
  /** The plaintext token: shown to the user now, never retrievable again. */
  readonly token: string
  readonly record: TokenRecord
}

export type RejectionReason =
  | 'missing_token'
  | 'malformed_header'
  | 'multiple_credentials'
  | 'token_too_long'
  | 'malformed'
  | 'wrong_prefix'
  | 'bad_checksum'
  | 'unknown'
  | 'wrong_secret'
  | 'expired'
  | 'revoked'
  | 'bad_hash'
  | 'bad_session'
  | 'stale_session'
  | 'negative_cache'
  | 'throttled'
  | 'overloaded'
  | 'wrong_kind'
  | 'unavailable'

export type KeywardStats = {
  /**
   * `refreshes`: entries confirmed again because a hit came near the end of their TTL; `renewed`:
   * those that the shared level or the store confirmed, and so live on for another TTL. `evictions`:
   * live entries dropped to make room (a steady rise means `max` is below the tokens in use).
   */
  cache: { hits: number; misses: number; size: number; refreshes: number; renewed: number; evictions: number }
  storeReads: number
  hashVerifications: number
  rehashes: number
  /** Misses that joined a verification already in flight for the same token. */
  coalesced: number
  rejections: Record<RejectionReason, number>
  lastUsed: LastUsedStats
  /** Session versions read from the store, sessions issued, bumps. */
  sessions: { versionReads: number; issued: number; bumps: number }
  /**
   * The shared level: hits, misses, entries written, failed commands, and whether it is failing now;
   * `forged`: entries read back whose MAC did not verify under the deployment key (each a miss).
   */
  sharedCache: { hits: number; misses: number; writes: number; errors: number; down: boolean; forged: number }
  /**
   * Messages published and received on the bus; `gaps`: reconnections after which caches were
   * dropped. An invalidation that could not reach the other processes is sent again until it does
   * (`redelivered`) or until every cache it concerns has expired (`abandoned`); `undelivered`: those
   * still being retried. Each failed attempt also counts in `errors` (and `sharedCache.errors`).
   * `forged`: messages dropped as unsigned or wrongly signed; `replayed`: authentic messages dropped
   * because this process had delivered them before; `stale`: authentic messages stamped more than
   * `MAX_MESSAGE_AGE` (60 s) from this process's clock (clocks apart), delivered all the same.
   * `channel`: how revocations reach other processes (known once the store is open; `'none'`: only
   * by cache expiry, warned at start-up); `fallbackBound`: that expiry, the L1 TTL in ms, which is
   * also the bound while a channel is down.
   */
  invalidations: {
    channel: InvalidationChannel
    fallbackBound: number
    subscribed: boolean
    published: number
    received: number
    errors: number
    gaps: number
    redelivered: number
    undelivered: number
    abandoned: number
    forged: number
    replayed: number
    stale: number
  }
  /** The defences of the miss path (see `protection`). */
  protection: ProtectionStats
  /** Store failures, and hash verifications that failed (threw) rather than answered. */
  errors: { store: number; hasher: number }
  /** The gate in front of store reads (see `storeReads`): reads in flight, refusals, the breaker. */
  storeGate: StoreReadStats
}

export type Keyward = {
  readonly tokenPrefix: string
  /**
   * `client`: the address of the client that sent the request (honouring your proxy setup), so that
   * wrong secrets sent by one client for a token id do not throttle another (see `protection`).
   */
  authenticate(authorization: AuthorizationInput, options?: AuthenticateOptions): Promise<AuthResult>
  /**
   * The same decision as `authenticate`, answered synchronously on a cache hit or a rejection that
   * needs no I/O, and as a promise otherwise. For adapters that want to skip a microtask per request.
   * `readClient(request)` gives the client's address; it is called only on a cache miss.
   */
  check<Req = unknown>(
    authorization: AuthorizationInput,
    accept?: CredentialKind,
    request?: Req,
    readClient?: ClientReader<Req>,
  ): AuthResult | Promise<AuthResult>
  /** What a credential is by its shape alone (no verification): a PAT, a session token, or neither. */
  credentialKind(credential: string): 'pat' | 'session' | null
  tokens: {
    create(input: CreateTokenInput): Promise<CreatedToken>
    /** Newest first, revoked and expired ones included (see `status`). */
    list(userId: string): Promise<TokenRecord[]>
    /** Null when there is no such token, or it belongs to another user than `userId` (as `revoke`). */
    get(id: string, options?: { userId?: string }): Promise<TokenRecord | null>
    /**
     * One page of the user's tokens, newest first, optionally of one `status` (as of now): at most
     * `limit` (default 50, at most 100), after `cursor` (the previous page's `nextCursor`, opaque).
     * A bad cursor or option is `invalid_argument`.
     */
    page(userId: string, options?: TokenPageOptions): Promise<TokenPage>
    /**
     * Null when there is no such token, or it belongs to another user than `userId`. Without the
     * `userId` key, an admin call; with it, it must name a user (undefined, null or '' throws).
     */
    revoke(id: string, options?: { userId?: string; reason?: string }): Promise<TokenRecord | null>
    /**
     * Renames or (re)describes a token (`description: null` clears it). Null when there is no such
     * token, or it belongs to another user than `userId` (as `revoke`). Needs no invalidation.
     */
    update(
      id: string,
      changes: { name?: string; description?: string | null },
      options?: { userId?: string },
    ): Promise<TokenRecord | null>
    /** Revokes every active token of the user; returns how many. */
    revokeAll(userId: string, options?: { reason?: string }): Promise<number>
    /**
     * A new token with the same name, scopes and lifetime; the old one dies after `gracePeriod`, a
     * duration string such as `'1h'` (default 0: at once; 0 is the only number it takes).
     */
    rotate(
      id: string,
      options?: { gracePeriod?: DurationString | 0; userId?: string },
    ): Promise<CreatedToken & { previous: TokenRecord }>
  }
  users: {
    /**
     * Cuts a deleted or disabled user off: revokes every active token (with `reason`) and bumps the
     * session version, so that every session token issued before is refused, on every process.
     * Sessions end even where this instance has no `sessions` option (an admin script).
     */
    revokeAll(userId: string, options?: { reason?: string }): Promise<UserCutOff>
  }
  sessions: {
    /**
     * A session token for the user, carrying their current session version. Without scopes it grants
     * the whole allow-list (`scopes`), or `*` when there is none.
     */
    issue(input: {
      userId: string
      scopes?: readonly string[]
      expiresIn?: DurationString
    }): Promise<IssuedSession>
    /** Log out everywhere: every session token issued before is refused. PATs are untouched. */
    bump(userId: string): Promise<number>
    /** The user's current session version (0 before any bump). */
    version(userId: string): Promise<number>
  }
  stats(): KeywardStats
  /** Writes pending last-used times and waits for background rehashes. */
  flush(): Promise<void>
  /** Flushes, then closes the store. */
  close(): Promise<void>
}

/** The revocation reason of a rotated token, also set during its grace period. */
const ROTATED = 'rotated'
/** At most one warning per minute about messages stamped far from this process's clock. */
const STALE_WARNING_INTERVAL = 60_000
/** Ids remembered for fencing misses in flight against invalidations (see `invalidate`). */
const MAX_FENCED_IDS = 10_000

/** SHA-256 of an Authorization header as it arrived, one character a byte ('binary' is latin1): what the hot path looks up. */
function headerDigest(header: string): string {
  return digestOf('sha256', header, 'binary')
}

/** A digest as the shared level stores and compares it (base64, as before the in-process key changed). */
function sharedDigest(digest: string): string {
  return Buffer.from(digest, 'latin1').toString('base64')
}

/**
 * The key of a token at every cache level and in the negative cache: the digest of the header that
 * carries it in canonical form, so that the hot path finds it without parsing the header.
 */
function tokenDigest(credential: string): string {
  return headerDigest(`Bearer ${credential}`)
}

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms)
}

function statusOf(row: TokenRow, now: number): TokenStatus {
  if (row.revokedAt !== null) return 'revoked'
  return row.expiresAt !== null && row.expiresAt <= now ? 'expired' : 'active'
}

function toRecord(row: TokenRow, now: number): TokenRecord {
  return Object.freeze({
    id: row.id,
    userId: row.userId,
    name: row.name,
    prefix: row.prefix,
    scopes: Object.freeze([...row.scopes]),
    status: statusOf(row, now),
    createdAt: new Date(row.createdAt),
    expiresAt: toDate(row.expiresAt),
    lastUsedAt: toDate(row.lastUsedAt),
    revokedAt: toDate(row.revokedAt),
    revokedReason: row.revokedReason,
    metadata: row.metadata,
    description: row.description,
  })
}

/**
 * The store named by the environment: `KEYWARD_DATABASE_URL` = `postgres://…` → Postgres; a path,
 * or unset → the SQLite file `keyward.db`. Migrated before it is returned.
 */
export async function storeFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<KeywardStore> {
  const url = env.KEYWARD_DATABASE_URL?.trim() || 'keyward.db'
  let store: KeywardStore
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { postgresStore } = await importDriver(() => import('./postgres.js'), 'postgres')
    store = postgresStore({ url })
  } else {
    const { sqliteStore } = await importDriver(() => import('./sqlite.js'), 'better-sqlite3')
    store = sqliteStore({ path: url.replace(/^(sqlite|file):(\/\/)?/, '') })
  }
  try {
    await store.migrate()
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
  return store
}

async function importDriver<T>(
  load: () => Promise<T>,
  driver: string,
  variable = 'KEYWARD_DATABASE_URL',
): Promise<T> {
  try {
    return await load()
  } catch (error) {
    throw new KeywardError(
      'invalid_option',
      `${variable} needs the "${driver}" package: npm install ${driver}`,
      { cause: error },
    )
  }
}

const KNOWN_OPTIONS = new Set([
  'store',
  'tokenPrefix',
  'scopes',
  'hasher',
  'cache',
  'lastUsed',
  'retryAfter',
  'clock',
  'logger',
  'sessions',
  'sharedCache',
  'storeTimeout',
  'storeReads',
  'protection',
  'maxTokensPerUser',
  'tokenLifetime',
  'heartbeat',
])

export function createKeyward(options: KeywardOptions = {}): Keyward {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new KeywardError(
        'invalid_option',
        `Unknown option ${JSON.stringify(key)} (known: ${[...KNOWN_OPTIONS].join(', ')}).`,
      )
    }
  }
  const tokenPrefix = options.tokenPrefix ?? 'kw'
  assertTokenPrefix(tokenPrefix)
  let allowList: Set<string> | null = null
  if (options.scopes !== undefined) {
    if (!Array.isArray(options.scopes))
      throw new KeywardError('invalid_option', 'scopes must be an array of strings.')
    for (const scope of options.scopes) assertScopeSyntax(scope)
    allowList = new Set(options.scopes)
  }
  const clock = options.clock ?? systemClock
  const hasher = options.hasher ?? argon2Hasher()
  const logger = options.logger ?? { warn: (message: string) => console.warn(`[keyward] ${message}`) }
  const maxTokensPerUser = maxTokensOption(options.maxTokensPerUser)
  const lifetime = lifetimePolicy(options.tokenLifetime)
  // What processes share is authenticated under the deployment key: the shared cache's own, else
  // the store's (read once, with the store).
  assertSharedCacheKeyed(options.sharedCache, options.store)
  const keyOf = (store: KeywardStore) => deploymentKeyOf(options.sharedCache ?? null, store)
  const deploymentKey = new DeploymentKey(async () => keyOf(await getStore()))
  const trusted = (raw: SharedCache) =>
    trustedSharedCache(raw, deploymentKey, clock, () => {
      stats.sharedCache.forged++
    })
  let shared = options.sharedCache ? trusted(options.sharedCache) : null
  // Configured from the environment as a whole: KEYWARD_REDIS_URL adds the shared level.
  const redisFromEnv =
    options.store === undefined && options.sharedCache === undefined
      ? process.env.KEYWARD_REDIS_URL?.trim() || null
      : null
  const cacheTtl = toMilliseconds(options.cache?.ttl ?? (shared || redisFromEnv ? '5s' : '10m'), 'cache.ttl')
  const sharedTtl = toMilliseconds(options.cache?.sharedTtl ?? '10m', 'cache.sharedTtl')
  const cacheMax = options.cache?.max ?? 10_000
  if (!Number.isSafeInteger(cacheMax) || cacheMax < 1) {
    throw new KeywardError('invalid_option', `cache.max must be a positive integer; got ${cacheMax}.`)
  }
  const storeTimeout = toMilliseconds(options.storeTimeout ?? '3s', 'storeTimeout')
  const flushInterval = toMilliseconds(options.lastUsed?.flushInterval ?? '1s', 'lastUsed.flushInterval')
  const retryAfter = options.retryAfter ?? 5
  const heartbeatEvery = heartbeatSettings(options.heartbeat)
  if (!Number.isSafeInteger(retryAfter) || retryAfter < 1) {
    throw new KeywardError(
      'invalid_option',
      `retryAfter must be a positive whole number of seconds; got ${retryAfter}.`,
    )
  }

  let storePromise: Promise<KeywardStore> | null = null
  const getStore = (): Promise<KeywardStore> => {
    if (storePromise === null) {
      const opening = Promise.resolve(options.store ?? storeFromEnv()).then(async (store) => {
        if (redisFromEnv && !shared && !closed) {
          const { redisCache } = await importDriver(
            () => import('./redis.js'),
            'ioredis',
            'KEYWARD_REDIS_URL',
          )
          shared = trusted(redisCache({ url: redisFromEnv }))
          startBus(shared.bus)
        }
        if (!shared) startBus(store.bus, typeof store.deploymentKey === 'function')
        reportChannel(store)
        // Read with the store, so that the first miss can use the shared level. Without any key a
        // shared cache is refused; another failure is retried when the key is next needed.
        if (shared || store.deploymentKey) {
          await deploymentKey
            .load(() => keyOf(store))
            .catch((error: unknown) => {
              if (isKeywardError(error) && error.code === 'invalid_option') throw error
              logger.warn(`could not read the deployment key (run migrate()?): ${describeStoreError(error)}`)
            })
        }
        return store
      })
      // A failed open (database not there yet) is tried again on the next call, not remembered.
      opening.catch(() => {
        if (storePromise === opening) storePromise = null
      })
      storePromise = opening
    }
    return storePromise
  }

  const stats: Omit<KeywardStats, 'lastUsed' | 'sessions' | 'protection' | 'invalidations' | 'storeGate'> & {
    invalidations: Omit<KeywardStats['invalidations'], keyof RedeliveryStats>
  } = {
    sharedCache: { hits: 0, misses: 0, writes: 0, errors: 0, down: false, forged: 0 },
    invalidations: {
      channel: 'none',
      fallbackBound: cacheTtl,
      subscribed: false,
      published: 0,
      received: 0,
      errors: 0,
      gaps: 0,
      forged: 0,
      replayed: 0,
      stale: 0,
    },
    cache: { hits: 0, misses: 0, size: 0, refreshes: 0, renewed: 0, evictions: 0 },
    storeReads: 0,
    hashVerifications: 0,
    rehashes: 0,
    coalesced: 0,
    rejections: {
      missing_token: 0,
      malformed_header: 0,
      multiple_credentials: 0,
      token_too_long: 0,
      malformed: 0,
      wrong_prefix: 0,
      bad_checksum: 0,
      unknown: 0,
      wrong_secret: 0,
      expired: 0,
      revoked: 0,
      bad_hash: 0,
      bad_session: 0,
      stale_session: 0,
      negative_cache: 0,
      throttled: 0,
      overloaded: 0,
      wrong_kind: 0,
      unavailable: 0,
    },
    errors: { store: 0, hasher: 0 },
  }
  // An outage fails every miss: one line for the first failure, then a summary every 10 s.
  const storeWarnings = new RateLimitedWarning({ logger, clock, subject: 'store', interval: 10_000 })
  const storeReads = new StoreReads(options.storeReads, {
    clock,
    timeout: storeTimeout,
    onSuccess: () => storeWarnings.recovered(),
  })
  const reportStoreError = (error: unknown, during: string) => {
    // A read the gate refused never reached the store: counted in stats.storeGate, not logged.
    if (isReadRefusal(error)) return
    stats.errors.store++
    storeWarnings.failure(`${during}: ${describeStoreError(error)}`)
  }

  // The shared level is an optimisation: when it fails, warn once, count, and carry on without it.
  const sharedFailed = (error: unknown) => {
    stats.sharedCache.errors++
    if (!stats.sharedCache.down)
      logger.warn(`shared cache unavailable, carrying on without it: ${describeStoreError(error)}`)
    stats.sharedCache.down = true
  }
  const sharedWorked = () => {
    if (stats.sharedCache.down) logger.warn('shared cache reachable again')
    stats.sharedCache.down = false
  }

  const sessions =
    options.sessions === undefined
      ? null
      : createSessions(options.sessions, {
          clock,
          store: getStore,
          allowList,
          onStoreError: (error) => reportStoreError(error, 'a session version read'),
          storeTimeout,
          storeReads,
          shared: () => shared,
          sharedTtl,
          onSharedError: sharedFailed,
          onSharedSuccess: sharedWorked,
          propagate: (message, during) => propagate(message, during),
        })
  const maxTokenLength = sessions?.maxTokenLength ?? MAX_TOKEN_LENGTH

  const lastUsedWindow = Math.max(cacheTtl, 1000)
  const cache = new TokenCache({
    max: cacheMax,
    ttl: cacheTtl,
    clock,
    useWindow: lastUsedWindow,
    refreshAhead: true,
  })
  const cachePressure = new CachePressureWarning({ logger, max: cacheMax, ttl: cacheTtl })
  const lastUsed = new LastUsedRecorder({
    interval: flushInterval,
    store: getStore,
    onError: (error) => reportStoreError(error, 'a last-used write'),
  })
  const recordUse = (slot: number, now: number) => {
    cache.markUsed(slot, now)
    lastUsed.record(cache.id(slot), now)
  }
  /** Caches what a miss confirmed and records the use that led here, unless one is recorded within the window. */
  const fillCache = (
    id: string,
    digest: string,
    principal: Principal,
    limit: number,
    verifiedHash: string | null = null,
  ) => {
    const now = clock.now()
    const slot = cache.set(id, digest, principal, { limit, verifiedHash })
    if (slot === NO_ENTRY) lastUsed.record(id, now)
    else if (now >= cache.useDueAt(slot)) recordUse(slot, now)
    cachePressure.observe(cache.stats.earlyEvictions, now)
  }
  const background = new Set<Promise<unknown>>()
  const track = (work: Promise<unknown>) => {
    const settled = work.catch(() => {}).finally(() => background.delete(settled))
    background.add(settled)
  }
  let closed = false

  const INVALID: AuthResult = Object.freeze({ ok: false, error: authError('invalid_token') })
  const HEADER_FAILURES = {
    missing_token: Object.freeze({ ok: false, error: authError('missing_token') }),
    malformed_header: Object.freeze({ ok: false, error: authError('malformed_header') }),
    multiple_credentials: Object.freeze({ ok: false, error: authError('multiple_credentials') }),
    token_too_long: Object.freeze({ ok: false, error: authError('token_too_long') }),
  } as const satisfies Record<string, AuthResult>
  const UNAVAILABLE: AuthResult = Object.freeze({ ok: false, error: unavailableError(retryAfter) })

  const reject = (reason: RejectionReason): AuthResult => {
    stats.rejections[reason]++
    return reason === 'unavailable' || reason === 'overloaded' ? UNAVAILABLE : INVALID
  }
  const protection = createProtection(options.protection, clock)
  // What the store said no to stays no: the same token is answered without I/O for a while.
  const refuse = (digest: string, reason: RejectionReason): AuthResult => {
    protection.refuse(digest)
    return reject(reason)
  }

  // Fencing between a miss in flight and an invalidation on this process: a miss that read the
  // store before a revoke finished must not cache (or return) what it read.
  let generation = 0
  let missesInFlight = 0
  const invalidatedAt = new Map<string, number>()
  let everythingInvalidatedAt = -1
  const invalidate = (ids: Iterable<string>) => {
    generation++
    for (const id of ids) {
      cache.delete(id)
      if (missesInFlight === 0) continue
      // Misses may overlap without end on a busy process, so the map is cleared only when none is in
      // flight; past this size, fencing every miss in flight (they retry) is cheaper than growing.
      if (invalidatedAt.size >= MAX_FENCED_IDS) {
        invalidatedAt.clear()
        everythingInvalidatedAt = generation
      } else {
        invalidatedAt.set(id, generation)
      }
    }
  }
  const fenced = (id: string, startedAt: number) =>
    (invalidatedAt.get(id) ?? -1) > startedAt || everythingInvalidatedAt > startedAt

  // The invalidation bus: the shared cache's (Redis pub/sub), else the store's (Postgres NOTIFY).
  let bus: InvalidationBus | null = null
  let busLive = false
  let heartbeat: Heartbeat | null = null
  /** Until the bus listens, in-process entries live at most this long (a missed message's bound). */
  const UNSUBSCRIBED_TTL = 5000
  let staleWarnedAt = Number.NEGATIVE_INFINITY
  // Messages may have been missed (a reconnection, a silent channel): nothing cached is trusted.
  const dropEverything = () => {
    stats.invalidations.gaps++
    generation++
    everythingInvalidatedAt = generation
    cache.clear()
    sessions?.forgetVersions()
  }
  const startBus = (unsigned: InvalidationBus | undefined, keyed = true) => {
    if (bus !== null || unsigned === undefined) return
    // A store's own bus with no key to sign with (a custom store) is used as it is.
    if (!keyed) logger.warn('invalidation messages are not authenticated: the store has no deploymentKey()')
    const candidate = keyed
      ? signedBus(unsigned, deploymentKey, clock, {
          forged: () => {
            stats.invalidations.forged++
          },
          replayed: () => {
            stats.invalidations.replayed++
          },
          stale: (skew) => {
            stats.invalidations.stale++
            const now = clock.now()
            if (now - staleWarnedAt < STALE_WARNING_INTERVAL) return
            staleWarnedAt = now
            logger.warn(
              `an invalidation message was stamped ${Math.round(skew / 1000)} s from this process's clock: keep the clocks of every process in sync (NTP)`,
            )
          },
        })
      : unsigned
    bus = candidate
    heartbeat = busHeartbeat(
      candidate,
      heartbeatEvery,
      { clock, logger, unsubscribedTtl: UNSUBSCRIBED_TTL },
      {
        ready: () => !keyed || deploymentKey.current !== null,
        down: () => {
          busLive = false
          stats.invalidations.subscribed = false
          dropEverything()
        },
        up: () => {
          busLive = true
          stats.invalidations.subscribed = true
        },
      },
    )
    candidate
      .subscribe(
        (message) => {
          if (message.beat !== undefined) return heartbeat?.received(message.beat)
          stats.invalidations.received++
          if (message.tokens) invalidate(message.tokens)
          if (message.user) sessions?.noteVersion(message.user.id, message.user.version)
        },
        // Back after a disconnection.
        dropEverything,
      )
      .then(
        () => {
          busLive = true
          stats.invalidations.subscribed = true
          if (!closed) heartbeat?.start()
        },
        (error) => {
          // A subscription still pending when close() ends it is no outage.
          if (closed) return
          // The listener keeps trying in the background; the heartbeat says when it is back.
          heartbeat?.start()
          stats.invalidations.errors++
          logger.warn(`could not subscribe to invalidations: ${describeStoreError(error)}`)
        },
      )
  }
  if (shared) startBus(shared.bus)
  // Without a channel a revocation reaches other processes only by expiry: said once, loudly.
  let channelWarned = false
  const reportChannel = (store: KeywardStore) => {
    stats.invalidations.channel = invalidationChannel(shared, store)
    if (stats.invalidations.channel !== 'none' || channelWarned) return
    channelWarned = true
    logger.warn(noChannelWarning(cacheTtl))
  }
  if (options.store !== undefined && !('then' in options.store)) reportChannel(options.store)

  /** Tells the shared level and every other process; returns what failed, or null. */
  const deliver = async (message: InvalidationMessage): Promise<unknown> => {
    let failure: unknown = null
    if (shared) {
      try {
        if (message.tokens?.length) await shared.invalidateTokens(message.tokens)
        if (message.user) {
          const { id, version } = message.user
          await shared.writeVersion(id, { version, validUntil: clock.now() + sharedTtl }, sharedTtl)
        }
        sharedWorked()
      } catch (error) {
        sharedFailed(error)
        failure = error
      }
    }
    if (bus !== null) {
      try {
        await bus.publish(message)
        stats.invalidations.published++
      } catch (error) {
        stats.invalidations.errors++
        failure ??= error
      }
    }
    return failure
  }
  const redeliveries = new Redeliveries({
    clock,
    send: async (message) => {
      const failure = await deliver(message)
      if (failure !== null) throw failure
    },
  })

  /**
   * After the store is written: drop the entries here, at the shared level and on every process.
   * Throws `invalidation_unconfirmed` when the others could not be told, naming the bound, and
   * keeps telling them in the background until they are told or the bound has passed.
   */
  const propagate = async (message: InvalidationMessage, during: string): Promise<void> => {
    if (message.tokens) invalidate(message.tokens)
    // In parts of bounded size; after a failure the rest is not tried now (Redis is likely away),
    // and only the parts not delivered are sent again.
    let failure: unknown = null
    const undelivered: InvalidationMessage[] = []
    for (const part of splitInvalidation(message)) {
      if (failure === null) failure = await deliver(part)
      if (failure !== null) undelivered.push(part)
    }
    if (failure !== null) {
      // An entry (or session version) left at the shared level lives on until its own TTL, and
      // other processes refill from it: that is then the bound.
      const localBound = message.user ? (sessions?.versionTtl ?? 0) : cacheTtl
      const bound = shared ? Math.max(localBound, sharedTtl) : localBound
      for (const part of undelivered) redeliveries.add(part, clock.now() + bound)
      throw new KeywardError(
        'invalidation_unconfirmed',
        `${during} is saved in the store, but other processes could not be told (${describeStoreError(failure)}). ` +
          `Keyward keeps trying; they stop accepting what it replaced within ${bound} ms at the latest, their cache TTL.`,
      )
    }
  }

  const rehashing = new Set<string>()
  const rehash = (store: KeywardStore, id: string, secret: string) => {
    if (rehashing.has(id)) return
    rehashing.add(id)
    track(
      Promise.resolve()
        .then(() => hasher.hash(secret))
        .then((secretHash) => store.updateToken(id, { secretHash }))
        .then(() => {
          stats.rehashes++
        })
        .catch((error) => reportStoreError(error, 'a rehash'))
        .finally(() => rehashing.delete(id)),
    )
  }

  /**
   * The token's shared entry, if it holds this digest and is still valid (else `entry` is null), and
   * the generation a later fill must present; null without a shared level or when it failed.
   */
  const readShared = async (
    id: string,
    digest: string,
  ): Promise<{ entry: SharedTokenEntry | null; generation: string } | null> => {
    if (!shared) return null
    // Until the deployment key is known, the shared level is not consulted.
    if (deploymentKey.current === null) {
      deploymentKey.warm()
      return null
    }
    try {
      const { entry, generation } = await shared.readToken(id)
      sharedWorked()
      const now = clock.now()
      const valid =
        entry !== null &&
        digestEquals(entry.digest, sharedDigest(digest)) &&
        now < entry.validUntil &&
        (entry.expiresAt === null || now < entry.expiresAt)
      return { entry: valid ? entry : null, generation }
    } catch (error) {
      sharedFailed(error)
      return null
    }
  }

  const ownPrefix = (id: string) => displayPrefix(tokenPrefix, id)
  const resolveMiss = async (
    { id, secret }: ParsedToken,
    digest: string,
    client?: string | null,
  ): Promise<AuthResult> => {
    missesInFlight++
    let releaseAttempt: (() => void) | null = null
    try {
      const store = await getStore()
      let verifiedHash: string | null = null
      for (let attempt = 0; attempt < 3; attempt++) {
        const startedAt = generation
        const sharedRead = await readShared(id, digest)
        const sharedGeneration = sharedRead?.generation ?? null
        const entry = sharedRead?.entry ?? null
        if (entry !== null) {
          if (fenced(id, startedAt)) continue
          stats.sharedCache.hits++
          protection.recordSuccess(id, digest)
          const principal = patPrincipal(id, entry.userId, entry.scopes, entry.expiresAt)
          fillCache(id, digest, principal, l1Limit(entry.validUntil))
          return Object.freeze({ ok: true, principal })
        }
        if (sharedRead !== null) stats.sharedCache.misses++
        // The throttle guards the store read and argon2 only: a shared hit above is never throttled.
        if (verifiedHash === null && releaseAttempt === null) {
          releaseAttempt = protection.admit(id, digest, client)
          if (releaseAttempt === null) {
            // Not a verdict on this token (it may be the real one, where it has not verified yet):
            // retry once the id's window ends, rather than a 401 that tells a client to drop it.
            stats.rejections.throttled++
            return Object.freeze({ ok: false, error: unavailableError(protection.retryAfter(id, client)) })
          }
        }
        let row: TokenRow | null
        try {
          row = await storeReads.read((signal) => {
            stats.storeReads++
            return store.findToken(id, signal)
          })
        } catch (error) {
          if (isReadRefusal(error))
            return reject(error.reason === 'overloaded' ? 'overloaded' : 'unavailable')
          reportStoreError(error, 'authentication')
          return reject('unavailable')
        }
        const now = clock.now()
        if (row === null) return refuse(digest, 'unknown')
        // Instances with different prefixes may share a table: a token is only ever good for its own.
        if (row.prefix !== ownPrefix(id)) return refuse(digest, 'wrong_prefix')
        if (row.revokedAt !== null) return refuse(digest, 'revoked')
        if (row.expiresAt !== null && row.expiresAt <= now) return refuse(digest, 'expired')
        if (verifiedHash !== row.secretHash) {
          if (!hasher.accepts(row.secretHash)) return refuse(digest, 'bad_hash')
          const stored = row.secretHash
          let matches: boolean | null
          try {
            matches = await protection.verify(() => {
              stats.hashVerifications++
              return hasher.verify(stored, secret)
            })
          } catch (error) {
            // Not a wrong secret: nothing is negative-cached or counted against the id.
            stats.errors.hasher++
            // Only the error's name: a custom hasher's message might quote the secret.
            logger.warn(`hash verification failed (${error instanceof Error ? error.name : typeof error})`)
            return reject('unavailable')
          }
          if (matches === null) return reject('overloaded')
          if (!matches) {
            protection.recordFailure(id, client)
            return refuse(digest, 'wrong_secret')
          }
          protection.recordSuccess(id, digest)
          verifiedHash = row.secretHash
          if (hasher.needsRehash(row.secretHash)) rehash(store, id, secret)
        }
        if (fenced(id, startedAt)) continue
        if (row.expiresAt !== null && row.expiresAt <= clock.now()) return reject('expired')
        const principal = patPrincipal(id, row.userId, row.scopes, row.expiresAt)
        fillCache(id, digest, principal, l1Limit(Number.POSITIVE_INFINITY), verifiedHash)
        if (shared && sharedGeneration !== null)
          fillShared(id, digest, principal, sharedGeneration, verifiedHash)
        return Object.freeze({ ok: true, principal })
      }
      return reject('unavailable')
    } catch (error) {
      reportStoreError(error, 'authentication')
      return reject('unavailable')
    } finally {
      releaseAttempt?.()
      if (--missesInFlight === 0) invalidatedAt.clear()
    }
  }

  /**
   * Refresh-ahead: a token still in use near the end of its in-process TTL is confirmed again in the
   * background while its entry keeps answering, so that a busy token does not expire under load
   * (which would make every request arriving meanwhile wait on one miss). Confirming needs no secret
   * and no argon2: the shared entry (deleted by every revoke) when it matches the digest and outlives
   * the TTL, else the store's row, active and with the very hash the secret verified against here.
   * It renews only the entry it began from, still alive, and is fenced against invalidations like a
   * miss; if nothing confirms it, the entry expires as it would have, and the next request misses.
   */
  const refresh = async (due: RefreshDue): Promise<void> => {
    const { id, digest, verified } = due
    missesInFlight++
    const startedAt = generation
    const renew = (principal: Principal, limit: number): boolean => {
      if (fenced(id, startedAt) || !cache.renew(due, principal, { limit: l1Limit(limit) })) return false
      stats.cache.renewed++
      return true
    }
    try {
      const sharedRead = await readShared(id, digest)
      const sharedGeneration = sharedRead?.generation ?? null
      const entry = sharedRead?.entry ?? null
      // A shared entry about to end is renewed from the store instead, which refills it.
      if (entry !== null && (verified === null || entry.validUntil >= clock.now() + cacheTtl)) {
        stats.sharedCache.hits++
        renew(patPrincipal(id, entry.userId, entry.scopes, entry.expiresAt), entry.validUntil)
        return
      }
      if (sharedRead !== null) stats.sharedCache.misses++
      if (verified === null) return
      const store = await getStore()
      const row = await storeReads.read((signal) => {
        stats.storeReads++
        return store.findToken(id, signal)
      })
      const now = clock.now()
      if (row === null || row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt <= now)) {
        // An invalidation this process missed: stop serving the token now rather than at its TTL.
        invalidate([id])
        return
      }
      // A new hash (a rehash, or a secret replaced in the database) needs the secret: let it expire.
      if (hashFingerprint(row.secretHash) !== verified) return
      const principal = patPrincipal(id, row.userId, row.scopes, row.expiresAt)
      if (renew(principal, Number.POSITIVE_INFINITY) && shared && sharedGeneration !== null)
        fillShared(id, digest, principal, sharedGeneration, row.secretHash)
    } catch (error) {
      reportStoreError(error, 'a cache refresh')
    } finally {
      if (--missesInFlight === 0) invalidatedAt.clear()
    }
  }

  const patPrincipal = (
    id: string,
    userId: string,
    scopes: readonly string[],
    expiresAt: number | null,
  ): Principal =>
    Object.freeze({
      kind: 'pat',
      userId,
      scopes: Object.freeze([...scopes]),
      tokenId: id,
      expiresAt: toDate(expiresAt),
    })
  const l1Limit = (limit: number) =>
    bus !== null && !busLive ? Math.min(limit, clock.now() + UNSUBSCRIBED_TTL) : limit
  /**
   * Writes the shared entry of a token just confirmed, off the request path. When the read before the
   * store read found no generation, one is created now and the store is asked once more (no argon2)
   * whether the token is still good with the same hash: a revoke that landed before the generation
   * existed shows there, and one after it changes the generation, so the write is refused.
   */
  const fillShared = (
    id: string,
    digest: string,
    principal: Principal,
    sharedGeneration: string,
    verifiedHash: string,
  ) => {
    const now = clock.now()
    const expiresAt = principal.expiresAt?.getTime() ?? null
    const validUntil = Math.min(now + sharedTtl, expiresAt ?? Number.POSITIVE_INFINITY)
    const level = shared
    if (!level || validUntil <= now) return
    const entry = {
      digest: sharedDigest(digest),
      userId: principal.userId,
      scopes: [...principal.scopes],
      expiresAt,
      validUntil,
    }
    const write = async (): Promise<boolean> => {
      let generation = sharedGeneration
      if (generation === '') {
        generation = await level.createGeneration(id)
        const store = await getStore()
        let row: TokenRow | null
        try {
          row = await storeReads.read((signal) => {
            stats.storeReads++
            return store.findToken(id, signal)
          })
        } catch {
          return false
        }
        if (row === null || row.revokedAt !== null || row.secretHash !== verifiedHash) return false
        if (row.expiresAt !== null && row.expiresAt <= clock.now()) return false
      }
      return level.writeToken(id, entry, generation, validUntil - now)
    }
    track(
      write().then((written) => {
        sharedWorked()
        if (written) stats.sharedCache.writes++
      }, sharedFailed),
    )
  }

  const patStart = `${tokenPrefix}_`
  const sessionApi = () => {
    if (sessions === null)
      throw new KeywardError(
        'invalid_option',
        'Sessions are not configured: pass `sessions` to createKeyward().',
      )
    assertOpen()
    return sessions
  }

  const startRefresh = (slot: number) => {
    const due = cache.takeRefresh(slot)
    if (closed) return
    stats.cache.refreshes++
    track(refresh(due))
  }

  // Single flight: concurrent misses for one token share one store read and one verification.
  const inFlight = new Map<string, Promise<AuthResult>>()

  // The hot path: `Bearer <one of our tokens>` already in the cache. Entries are keyed by the digest
  // of exactly that header, so a hit means the header is, byte for byte, one whose token passed the
  // full grammar, checksum and verification before; the header is hashed as it arrived, with
  // nothing cut out of it (hashing a slice costs a copy). Anything else takes the full path below.
  const hotLength = 7 + tokenPrefix.length + 2 + TOKEN_ID_LENGTH + TOKEN_SECRET_LENGTH + TOKEN_CHECKSUM_LENGTH
  const check = <Req>(
    authorization: AuthorizationInput,
    accept: CredentialKind = 'any',
    request?: Req,
    readClient?: ClientReader<Req>,
  ): AuthResult | Promise<AuthResult> => {
    if (
      accept !== 'session' &&
      typeof authorization === 'string' &&
      authorization.length === hotLength &&
      !closed
    ) {
      const now = clock.now()
      const hit = cache.get(headerDigest(authorization), now)
      if (hit !== NO_ENTRY) {
        stats.cache.hits++
        if (now >= cache.useDueAt(hit)) recordUse(hit, now)
        if (now >= cache.refreshAt(hit)) startRefresh(hit)
        return cache.result(hit)
      }
    }
    return fullCheck(authorization, accept, request, readClient)
  }

  const fullCheck = <Req>(
    authorization: AuthorizationInput,
    accept: CredentialKind,
    request: Req | undefined,
    readClient: ClientReader<Req> | undefined,
  ): AuthResult | Promise<AuthResult> => {
    const header = parseAuthorization(authorization, maxTokenLength)
    if (!header.ok) {
      stats.rejections[header.error]++
      return HEADER_FAILURES[header.error]
    }
    const isSession =
      sessions !== null && !header.credential.startsWith(patStart) && sessions.claims(header.credential)
    // The wrong kind for this route is refused by its shape, before any I/O.
    if (accept === (isSession ? 'pat' : 'session')) return reject('wrong_kind')
    if (isSession && sessions !== null) {
      if (closed) return reject('unavailable')
      return sessions
        .verify(header.credential)
        .then((verdict) => (verdict.ok ? verdict : reject(verdict.reason)))
    }
    const parsed = parseToken(header.credential, tokenPrefix)
    if (!parsed.ok) {
      if (parsed.reason === 'too_long') return HEADER_FAILURES.token_too_long
      return reject(parsed.reason)
    }
    if (closed) return reject('unavailable')
    const digest = tokenDigest(header.credential)
    const now = clock.now()
    const hit = cache.get(digest, now)
    if (hit !== NO_ENTRY) {
      stats.cache.hits++
      if (now >= cache.useDueAt(hit)) recordUse(hit, now)
      if (now >= cache.refreshAt(hit)) startRefresh(hit)
      return cache.result(hit)
    }
    stats.cache.misses++
    if (protection.isRefused(digest)) return reject('negative_cache')
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

  const assertOpen = () => {
    if (closed) throw new KeywardError('closed', 'This Keyward instance is closed.')
  }
  const withStore = async <T>(during: string, work: (store: KeywardStore) => Promise<T>): Promise<T> => {
    assertOpen()
    try {
      return await work(await getStore())
    } catch (error) {
      if (isKeywardError(error)) throw error
      // No `cause`: a driver's error can hold the statement's parameters (a new token's hash).
      throw new KeywardError(
        'store_error',
        `The token store failed during ${during}: ${describeStoreError(error)}`,
      )
    }
  }

  const mint = async (
    store: KeywardStore,
    input: {
      userId: string
      name: string
      scopes: readonly string[]
      expiresAt: number | null
      metadata: TokenRow['metadata']
      description: string | null
    },
  ): Promise<CreatedToken> => {
    const { token, id, secret } = generateToken(tokenPrefix)
    const row: TokenRow = {
      id,
      userId: input.userId,
      name: input.name,
      prefix: displayPrefix(tokenPrefix, id),
      secretHash: await hasher.hash(secret),
      scopes: input.scopes,
      expiresAt: input.expiresAt,
      lastUsedAt: null,
      createdAt: clock.now(),
      revokedAt: null,
      revokedReason: null,
      metadata: input.metadata,
      description: input.description,
    }
    await store.insertToken(row)
    return Object.freeze({ token, record: toRecord(row, clock.now()) })
  }

  const flush = async () => {
    while (background.size > 0) await Promise.all(background)
    await lastUsed.flush()
  }

  const revokeUserTokens = (userId: string, reason: string | null) =>
    withStore('revokeAll', async (store) => {
      const ids = await store.revokeUserTokens(userId, { revokedAt: clock.now(), reason })
      if (ids.length > 0) await propagate({ tokens: ids }, 'The revocation')
      return ids
    })
  // Without the sessions option, the version is bumped all the same: other processes may verify sessions.
  const endSessions = async (userId: string): Promise<number> => {
    if (sessions !== null) return sessionApi().bump(userId, clock.now())
    const version = await withStore('a session bump', (store) =>
      store.bumpSessionVersion(userId, clock.now()),
    )
    await propagate({ user: { id: userId, version } }, 'The session bump')
    return version
  }

  const tokens: Keyward['tokens'] = {
    async create(input) {
      const userId = requireText(input?.userId, 'userId')
      const name = requireText(input.name, 'name')
      const scopes = normalizeScopes(input.scopes ?? [], allowList)
      const expiresAt = expiryUnder(lifetime, input, clock.now())
      const metadata = input.metadata === undefined ? null : requireMetadata(input.metadata)
      const description = input.description === undefined ? null : requireDescription(input.description)
      return withStore('create', async (store) => {
        await assertRoomForToken(store, userId, { max: maxTokensPerUser, now: clock.now(), replacing: false })
        return mint(store, { userId, name, scopes, expiresAt, metadata, description })
      })
    },
    async list(userId) {
      requireText(userId, 'userId')
      return withStore('list', async (store) => {
        const now = clock.now()
        return (await store.listTokens(userId)).map((row) => toRecord(row, now))
      })
    },
    async page(userId, options = {}) {
      requireText(userId, 'userId')
      const { status, limit, after } = requirePageOptions(options)
      return withStore('page', async (store) => {
        const now = clock.now()
        // One more than asked: whether there is a next page, without a count.
        const query = { status, now, limit: limit + 1, after }
        const rows = store.listTokenPage
          ? await store.listTokenPage(userId, query)
          : pageInMemory(await store.listTokens(userId), query)
        const last = rows.length > limit ? rows[limit - 1] : undefined
        return Object.freeze({
          tokens: Object.freeze(rows.slice(0, limit).map((row) => toRecord(row, now))),
          nextCursor: last === undefined ? null : encodeCursor(last),
        })
      })
    },
    async get(id, options = {}) {
      const owner = ownerOf(options)
      if (typeof id !== 'string' || id.length === 0) return null
      return withStore('get', async (store) => {
        const row = await store.findToken(id)
        if (row === null || (owner !== undefined && row.userId !== owner)) return null
        return toRecord(row, clock.now())
      })
    },
    async revoke(id, options = {}) {
      requireText(id, 'id')
      const owner = ownerOf(options)
      const reason = options.reason === undefined ? null : requireText(options.reason, 'reason')
      return withStore('revoke', async (store) => {
        const input = {
          revokedAt: clock.now(),
          reason,
          ...(owner === undefined ? {} : { userId: owner }),
        }
        const row = await store.revokeToken(id, input)
        if (row) await propagate({ tokens: [id] }, 'The revocation')
        return row ? toRecord(row, clock.now()) : null
      })
    },
    async update(id, changes, options = {}) {
      requireText(id, 'id')
      const owner = ownerOf(options)
      const patch = requireTokenChanges(changes)
      return withStore('update', async (store) => {
        const row = await store.findToken(id)
        if (row === null || (owner !== undefined && row.userId !== owner)) return null
        // Name and description play no part in authentication: no cache holds them, nothing to invalidate.
        const updated = await store.updateToken(id, patch)
        return updated ? toRecord(updated, clock.now()) : null
      })
    },
    async revokeAll(userId, options = {}) {
      requireText(userId, 'userId')
      const reason = options.reason === undefined ? null : requireText(options.reason, 'reason')
      return (await revokeUserTokens(userId, reason)).length
    },
    async rotate(id, options = {}) {
      requireText(id, 'id')
      const owner = ownerOf(options)
      const grace = toGracePeriod(options.gracePeriod ?? 0)
      return withStore('rotate', async (store) => {
        const old = await store.findToken(id)
        if (old === null || (owner !== undefined && old.userId !== owner)) {
          throw new KeywardError('token_not_found', 'No such token.')
        }
        const now = clock.now()
        if (statusOf(old, now) !== 'active') {
          throw new KeywardError('token_not_active', 'Only an active token can be rotated.')
        }
        if (old.revokedReason !== null) {
          throw new KeywardError(
            'token_not_active',
            'This token was already rotated and lives only until its grace period ends: rotate its successor instead.',
          )
        }
        await assertRoomForToken(store, old.userId, { max: maxTokensPerUser, now, replacing: true })
        const created = await mint(store, {
          userId: old.userId,
          name: old.name,
          scopes: old.scopes,
          expiresAt: rotatedExpiry(lifetime, old, now),
          metadata: old.metadata,
          description: old.description,
        })
        // In its grace period the old token stays unrevoked (and listed as active) but carries the
        // reason: the durable marker that refuses a second rotation.
        const retire =
          grace === 0
            ? { revokedAt: now, revokedReason: ROTATED }
            : {
                expiresAt: old.expiresAt === null ? now + grace : Math.min(old.expiresAt, now + grace),
                revokedReason: ROTATED,
              }
        // Compare-and-set: of two concurrent rotations only one retires the old token, even when
        // the grace period leaves its expiry as it was.
        const previous = await store.updateToken(id, retire, {
          revokedAt: null,
          revokedReason: null,
          expiresAt: old.expiresAt,
        })
        if (previous === null) {
          await store.revokeToken(created.record.id, { revokedAt: now, reason: 'rotation conflict' })
          throw new KeywardError(
            'token_not_active',
            'The token was revoked or rotated while this rotation ran.',
          )
        }
        // Every process re-reads the old token, and so caches it no longer than its new expiry.
        await propagate({ tokens: [id] }, 'The rotation')
        return Object.freeze({ ...created, previous: toRecord(previous, clock.now()) })
      })
    },
  }

  const instance: Keyward = {
    tokenPrefix,
    check,
    authenticate: async (authorization, options) => {
      if (options === undefined) return check(authorization)
      assertAuthenticateOptions(options)
      return check(authorization, 'any', options, clientOfOptions)
    },
    credentialKind: (credential) => {
      if (credential.startsWith(patStart)) return 'pat'
      return sessions?.claims(credential) ? 'session' : null
    },
    tokens,
    users: {
      revokeAll: async (userId, options = {}) => {
        requireText(userId, 'userId')
        const reason = options.reason === undefined ? null : requireText(options.reason, 'reason')
        return cutOffUser(userId, {
          revokeTokens: (id) => revokeUserTokens(id, reason),
          endSessions,
        })
      },
    },
    sessions: {
      issue: async (input) => sessionApi().issue(input),
      bump: async (userId) => sessionApi().bump(userId, clock.now()),
      version: async (userId) => sessionApi().version(userId),
    },
    stats: () => ({
      ...stats,
      cache: { ...stats.cache, size: cache.size, evictions: cache.stats.evictions },
      rejections: { ...stats.rejections },
      errors: { ...stats.errors },
      lastUsed: { ...lastUsed.stats },
      sessions: { versionReads: 0, issued: 0, bumps: 0, ...sessions?.stats },
      sharedCache: { ...stats.sharedCache },
      invalidations: { ...stats.invalidations, ...redeliveries.stats },
      protection: { ...protection.stats },
      storeGate: { ...storeReads.stats },
    }),
    flush,
    async close() {
      if (closed) return
      closed = true
      deregisterInstance(instance)
      heartbeat?.stop()
      // A store (and shared level) still opening must finish first, so that it is closed below.
      await storePromise?.catch(() => {})
      // New requests now answer 503; let those in flight and background work finish, then write.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()])
      await flush()
      lastUsed.stop()
      if (lastUsed.stats.pending > 0) {
        logger.warn(
          `closing with ${lastUsed.stats.pending} last-used time(s) unwritten: the store did not accept them`,
        )
      }
      await redeliveries.stop()
      if (redeliveries.stats.undelivered > 0) {
        logger.warn(
          `closing with ${redeliveries.stats.undelivered} invalidation(s) not delivered to other processes: they stop accepting what was revoked when their cache entries expire`,
        )
      }
      cache.clear()
      await bus?.close()
      await shared?.close()
      if (storePromise !== null || options.store !== undefined) await (await getStore()).close()
    },
  }
  registerInstance(instance, logger)
  return instance
}
