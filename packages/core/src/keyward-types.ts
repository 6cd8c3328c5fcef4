import type { Actor } from './actor.js'
import type { KeywardAudit } from './audit.js'
import type { AuthenticateOptions, ClientReader } from './client-address.js'
import type { Clock } from './clock.js'
import type { DoctorOptions, DoctorReport } from './doctor.js'
import type { Duration, DurationString } from './duration.js'
import type { AuthError } from './errors.js'
import type { KeywardEvents } from './events.js'
import type { ExpiryWarnings, WarnExpiringOptions } from './expiry-warnings.js'
import type { TokenHasher } from './hashing.js'
import type { AuthorizationInput } from './header.js'
import type { HeartbeatOptions } from './heartbeat.js'
import type { KeywardStats } from './keyward-stats.js'
import type { TokenLifetime, TokenLifetimeOptions } from './lifetime.js'
import type { KeywardMigrations } from './migrations-admin.js'
import type { Principal } from './principal.js'
import type { Propagation } from './propagation.js'
import type { ProtectionOptions } from './protection.js'
import type { ScopeRegistry } from './scope-registry.js'
import type { IssuedSession, SessionOptions } from './sessions.js'
import type { SharedCache } from './shared-cache.js'
import type { KeywardStore, TokenStatus } from './store.js'
import type { StoreReadOptions } from './store-reads.js'
import type { TokenPageOptions } from './token-pages.js'
import type { ExpiringTokensOptions, PurgeResult, PurgeTokensOptions } from './token-upkeep.js'
import type { UserCutOff } from './users.js'

/** The public types of a Keyward instance, re-exported by `keyward.ts` (and the package index). */

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly error: AuthError }

export type Logger = { warn(message: string): void }

/** Which credentials a route takes: a personal access token, a session token, or either. */
export type AcceptedCredentials = 'any' | 'pat' | 'session'

/** @deprecated The same type as `AcceptedCredentials` (what a route accepts), under its old name. */
export type CredentialKind = AcceptedCredentials

/** What a credential is by its shape alone: a PAT, a session token, or neither (see `credentialKind`). */
export type CredentialShape = 'pat' | 'session' | null

export type KeywardOptions = {
  /** Where tokens live. Default: from `KEYWARD_DATABASE_URL` (see `storeFromEnv`), migrated on first use. */
  store?: KeywardStore | Promise<KeywardStore>
  /** Tokens read `<prefix>_<id>_<secret><checksum>`. Default `kw`. */
  tokenPrefix?: string
  /**
   * An allow-list checked when a token is created: a registry from `defineScopes()` (each scope with
   * its description; `requireScope` then refuses undeclared scopes) or a plain list of names.
   */
  scopes?: readonly string[] | ScopeRegistry
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
  /**
   * Appends one row per management event (token created, updated, revoked, rotated, leaked, warned
   * of its expiry; session bumped; user cut off) to `<prefix>audit`, after the change committed.
   * Default false. The table is created by the migrations either way.
   */
  audit?: boolean
  /**
   * `failureInterval`: how often `auth.failures` is emitted (default `'60s'`, at least `'1s'`),
   * from the rejection counters, while anyone listens to it.
   */
  events?: { failureInterval?: Duration }
}

export type { DoctorCheck, DoctorCheckName, DoctorOptions, DoctorReport } from './doctor.js'
export type { KeywardStats, RejectionReason } from './keyward-stats.js'
export type { ApplyMigrationsOptions, KeywardMigrations, MigrationStatus } from './migrations-admin.js'
export type { Propagation } from './propagation.js'
export type { ExpiringTokensOptions, PurgeResult, PurgeTokensOptions } from './token-upkeep.js'
export type { TokenPageOptions, TokenStatus }

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
  /** Who creates it, for the events and the audit log. Default `{ kind: 'admin' }`. */
  actor?: Actor
}

export type CreatedToken = {
  /** The plaintext token: shown to the user now, never retrievable again. */
  readonly token: string
  readonly record: TokenRecord
}

/** A scope a token may be granted, as the management routes, the settings page and the CLI list it. */
export type ScopeInfo = { readonly name: string; readonly description: string | null }

export type Keyward = {
  readonly tokenPrefix: string
  /**
   * The allow-list (`scopes`), in its order; empty when the instance has none (any scope goes).
   * Descriptions come from a `defineScopes()` registry; they are null with a plain list.
   */
  readonly scopes: readonly ScopeInfo[]
  /** The lifetime policy (`tokenLifetime`) as duration strings, with the expiries a form may offer. */
  readonly tokenLifetime: TokenLifetime
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
    accept?: AcceptedCredentials,
    request?: Req,
    readClient?: ClientReader<Req>,
  ): AuthResult | Promise<AuthResult>
  /**
   * `check` for a credential already taken out of its carrier (a session cookie's value): the same
   * decision as `check('Bearer ' + credential)`, without building a header to parse again.
   */
  checkCredential<Req = unknown>(
    credential: string,
    accept?: AcceptedCredentials,
    request?: Req,
    readClient?: ClientReader<Req>,
  ): AuthResult | Promise<AuthResult>
  /** What a credential is by its shape alone (no verification): a PAT, a session token, or neither. */
  credentialKind(credential: string): CredentialShape
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
    revoke(
      id: string,
      options?: { userId?: string; reason?: string; actor?: Actor },
    ): Promise<TokenRecord | null>
    /**
     * Renames or (re)describes a token (`description: null` clears it). Null when there is no such
     * token, or it belongs to another user than `userId` (as `revoke`). Needs no invalidation.
     */
    update(
      id: string,
      changes: { name?: string; description?: string | null },
      options?: { userId?: string; actor?: Actor },
    ): Promise<TokenRecord | null>
    /** Revokes every active token of the user; returns how many. */
    revokeAll(userId: string, options?: { reason?: string; actor?: Actor }): Promise<number>
    /**
     * A new token with the same name, scopes and lifetime; the old one dies after `gracePeriod`, a
     * duration string such as `'1h'` (default 0: at once; 0 is the only number it takes).
     */
    rotate(
      id: string,
      options?: { gracePeriod?: DurationString | 0; userId?: string; actor?: Actor },
    ): Promise<CreatedToken & { previous: TokenRecord }>
    /**
     * Which stored token a plaintext token is: its record when the secret verifies, revoked and
     * expired tokens included (a leak report must tell a real revoked token from a forged one, where
     * `authenticate` refuses both alike); null when it is not one. No cache, no throttle: for leak
     * reports and operators, not for authenticating requests.
     */
    identify(token: string): Promise<TokenRecord | null>
    /**
     * Active tokens (not revoked) whose expiry falls in (now, now + `within`], of every user or of
     * `userId`, soonest expiry first, then by id; paged as `page()` (limit 1 to 100, default 50;
     * opaque cursor). A token in a rotation's grace period is listed: it expires when the grace
     * period ends. Bad input is `invalid_argument`.
     */
    expiring(options: ExpiringTokensOptions): Promise<TokenPage>
    /**
     * Deletes the tokens revoked, or expired, more than `olderThan` (at least `'1d'`) before now, in
     * batches of `batchSize` rows a statement (500), after counting them (`onProgress` gets the
     * total). `dryRun` counts and deletes nothing. Active tokens are never touched, and neither is a
     * token in a rotation's grace period: it is unrevoked and expires when the grace period ends,
     * so it goes only once that end is `olderThan` in the past.
     */
    purge(options: PurgeTokensOptions): Promise<PurgeResult>
    /**
     * Expiry warnings, each sent once: for each window (`['7d', '1d']`), the active tokens expiring
     * within it are claimed in `<prefix>expiry_warnings` (token, window) and `token.expiring` is
     * emitted for the claims this call made, so that several processes, or a run after a restart,
     * never warn twice. A token within several windows is warned for the smallest only. Run it on
     * a timer or from cron.
     */
    warnExpiring(options: WarnExpiringOptions): Promise<ExpiryWarnings>
  }
  /**
   * Typed events after each store commit: `kw.events.on('token.revoked', (event) => …)` returns
   * the function that unsubscribes. See `KeywardEventMap`.
   */
  readonly events: KeywardEvents
  /** The audit log (`audit: true`): paged reads, and the retention purge. */
  readonly audit: KeywardAudit
  /** The store's migrations: `status()` reads them, `apply()` runs what is pending. */
  readonly migrations: KeywardMigrations
  /**
   * Checks what this instance depends on (store, migrations, deployment key, invalidation channel,
   * Redis, the hasher's cost on this machine) and reports each; never throws for an outage.
   */
  doctor(options?: DoctorOptions): Promise<DoctorReport>
  /**
   * How a revocation made by this process reaches the other processes on the same database, and
   * within what bound (opens the store if needed).
   */
  propagation(): Promise<Propagation>
  users: {
    /**
     * Cuts a deleted or disabled user off: revokes every active token (with `reason`) and bumps the
     * session version, so that every session token issued before is refused, on every process.
     * Sessions end even where this instance has no `sessions` option (an admin script).
     */
    revokeAll(userId: string, options?: { reason?: string; actor?: Actor }): Promise<UserCutOff>
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
    bump(userId: string, options?: { actor?: Actor }): Promise<number>
    /** The user's current session version (0 before any bump). */
    version(userId: string): Promise<number>
  }
  stats(): KeywardStats
  /** Writes pending last-used times and waits for background rehashes. */
  flush(): Promise<void>
  /** Flushes, then closes the store. */
  close(): Promise<void>
}
