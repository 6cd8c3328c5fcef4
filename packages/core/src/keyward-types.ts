import type { Actor } from './actor.js'
import type { KeywardAudit } from './audit.js'
import type { AuthenticateOptions, ClientReader } from './client-address.js'
import type { Clock } from './clock.js'
import type { DoctorOptions, DoctorReport } from './doctor.js'
import type { Duration, DurationString } from './duration.js'
import type { AuthError } from './errors.js'
import type { KeywardEvents } from './events.js'
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
import type { KeywardTokens } from './token-api-types.js'
import type { TokenPageOptions } from './token-pages.js'
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
export type {
  CreatedToken,
  CreateTokenInput,
  KeywardTokens,
  TokenPage,
  TokenRecord,
} from './token-api-types.js'
export type { ExpiringTokensOptions, PurgeResult, PurgeTokensOptions } from './token-upkeep.js'
export type { TokenPageOptions, TokenStatus }

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
  tokens: KeywardTokens
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
