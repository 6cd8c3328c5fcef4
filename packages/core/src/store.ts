import type { InvalidationBus } from './shared-cache.js'

/**
 * One row of `keyward_tokens`, as every store reads and writes it. Times are epoch milliseconds
 * (integers on both dialects, so a SQLite → Postgres move is a plain copy).
 */
export type TokenRow = {
  id: string
  userId: string
  name: string
  /** What a user may see of the token, e.g. `myapp_3fK9x2…`; never the secret. */
  prefix: string
  secretHash: string
  scopes: readonly string[]
  expiresAt: number | null
  lastUsedAt: number | null
  createdAt: number
  revokedAt: number | null
  revokedReason: string | null
  metadata: Readonly<Record<string, unknown>> | null
  /** Free text the owner keeps about the token (what it is for); null when unset. */
  description: string | null
}

export type TokenStatus = 'active' | 'expired' | 'revoked'

/**
 * One page of a user's tokens, newest first by (createdAt, id): `status` as of `now` (active: not
 * revoked, no expiry or one after `now`; expired: not revoked, expiry at or before `now`; revoked),
 * only rows after `after` in that order, at most `limit`.
 */
export type TokenPageQuery = {
  status?: TokenStatus | undefined
  now: number
  limit: number
  after?: { createdAt: number; id: string } | undefined
}

/**
 * Active tokens about to expire, of every user or of `userId`: not revoked, with an expiry after
 * `now` and at or before `until`; soonest first by (expiresAt, id), only rows after `after` in that
 * order, at most `limit`. A token in a rotation's grace period is active (its expiry is the end of
 * the grace period) and is listed.
 */
export type ExpiringTokenQuery = {
  now: number
  until: number
  userId?: string | undefined
  limit: number
  after?: { expiresAt: number; id: string } | undefined
}

/**
 * Tokens past use for long enough to delete: revoked before `before` (epoch ms), or with an expiry
 * before it. Keyward passes a `before` at least a day in the past, so no active token matches, nor
 * one in a rotation's grace period (unrevoked, expiring at the end of the grace period).
 */
export type PurgeQuery = { before: number }

/**
 * One row of `<prefix>audit`, as a store writes and reads it: who did what to which token or user,
 * and when (epoch ms). `id` is assigned by the store on append, ascending; `detail` is small JSON
 * text (a reason, a window), never a token or a hash.
 */
export type AuditRow = {
  id: number
  at: number
  action: string
  actorKind: string
  actorId: string | null
  tokenId: string | null
  userId: string | null
  address: string | null
  userAgent: string | null
  detail: string | null
}

/**
 * A page of the audit log, newest first by id: only rows of `userId`, `tokenId` and `action` when
 * given, only ids below `before` when given, at most `limit`.
 */
export type AuditQuery = {
  userId?: string | undefined
  tokenId?: string | undefined
  action?: string | undefined
  before?: number | undefined
  limit: number
}

/** An expiry warning to send once: the token, and the window (ms) it is warned for. */
export type ExpiryClaim = { tokenId: string; windowMs: number }

/** Reports progress on long work: `done` of `total` units (statements, rows). */
export type ProgressCallback = (done: number, total: number) => void

export type MigrateOptions = {
  /**
   * Called with (0, total) once the pending statements are known, then after each statement. A
   * callback that throws aborts the migration (rolled back).
   */
  onProgress?: ProgressCallback | undefined
}

/** Which of the store's migrations have run, and the SQL of those that have not. */
export type MigrationStatus = {
  /** `'sqlite'`, `'postgres'`, or a custom store's. */
  readonly dialect: string
  /** Versions recorded in `<prefix>migrations`, ascending. */
  readonly applied: readonly number[]
  /** The migrations `migrate()` would run, in order, each with exactly the statements it runs. */
  readonly pending: ReadonlyArray<{
    readonly version: number
    readonly statements: readonly string[]
    /**
     * The statement recording the version in `<prefix>migrations` after its statements (idempotent),
     * for running the SQL by hand (`keyward migrate --print`); a custom store may leave it out.
     */
    readonly record?: string
  }>
  /** No migration pending. */
  readonly current: boolean
  /**
   * What `migrate()` runs first, every time (idempotent): the schema and the bookkeeping table. After
   * each pending migration's statements it records the version in `<prefix>migrations`.
   */
  readonly setup?: readonly string[]
}

export type TokenPatch = Partial<
  Pick<
    TokenRow,
    | 'secretHash'
    | 'expiresAt'
    | 'scopes'
    | 'name'
    | 'description'
    | 'metadata'
    | 'revokedAt'
    | 'revokedReason'
  >
>

/**
 * Compare-and-set for `updateToken`: write only while the row is unrevoked with this expiry and, when
 * `revokedReason: null` is given, without a reason (a token rotated with a grace period keeps
 * `revokedAt` null until it expires but has the reason `'rotated'`).
 */
export type TokenExpectation = { revokedAt: null; expiresAt: number | null; revokedReason?: null }

export type RevokeInput = {
  revokedAt: number
  reason: string | null
  /** Only revoke when the token belongs to this user. */
  userId?: string
}

/**
 * What Keyward needs from storage: a handful of methods, implemented by `sqliteStore()` and
 * `postgresStore()` and checked by one contract suite. Methods throw only on outages and misuse.
 */
export interface KeywardStore {
  readonly dialect: string
  /** Instant invalidation across processes through the database itself (Postgres LISTEN/NOTIFY). */
  readonly bus?: InvalidationBus
  /**
   * True where no other process or connection can open this database (SQLite in memory): there is
   * no one to tell, so a missing `bus` is no gap and Keyward does not warn about it.
   */
  readonly isolated?: boolean
  /**
   * Creates or upgrades the tables. Idempotent, and safe to run from several processes at once.
   * `onProgress`, optional for custom stores, counts the statements it runs.
   */
  migrate(options?: MigrateOptions): Promise<void>
  /**
   * Which migrations have run and what `migrate()` would run: a read that changes nothing, and
   * works on a database never migrated (everything pending). Without it, `kw.migrations` throws
   * `unsupported`.
   */
  migrationStatus?(): Promise<MigrationStatus>
  insertToken(row: TokenRow): Promise<void>
  /**
   * `signal`, optional for custom stores, aborts when Keyward stops waiting (the store timeout):
   * cancel the query then, so that a stalled database does not keep it (and its connection) busy.
   */
  findToken(id: string, signal?: AbortSignal): Promise<TokenRow | null>
  /** Newest first. */
  listTokens(userId: string): Promise<TokenRow[]>
  /**
   * A page of the user's tokens (see `TokenPageQuery`), by keyset on (created_at desc, id desc).
   * Without it, `tokens.page()` reads the whole list and pages it in memory.
   */
  listTokenPage?(userId: string, query: TokenPageQuery): Promise<TokenRow[]>
  /**
   * Returns the updated row, or null when there is no such token or, with `expected`, when the row
   * no longer matches it (someone else changed it first).
   */
  updateToken(id: string, patch: TokenPatch, expected?: TokenExpectation): Promise<TokenRow | null>
  /**
   * Marks the token revoked unless it already is (the first revocation wins). Returns the row as it
   * now stands, or null when there is no such token (or it belongs to another user).
   */
  revokeToken(id: string, input: RevokeInput): Promise<TokenRow | null>
  /** Revokes every active token of the user; returns the ids it revoked. */
  revokeUserTokens(userId: string, input: Omit<RevokeInput, 'userId'>): Promise<string[]>
  /**
   * Records last use in one statement for the whole batch; never moves a value backwards.
   * Returns the number of rows written.
   */
  touchTokens(uses: ReadonlyArray<{ id: string; at: number }>): Promise<number>
  /** 0 for a user with no stored version. */
  getSessionVersion(userId: string, signal?: AbortSignal): Promise<number>
  /** Creates or increments the user's version atomically; returns the new value. */
  bumpSessionVersion(userId: string, at: number): Promise<number>
  /**
   * The deployment's secret key (at least 32 random bytes), created once by `migrate()` and the same
   * for every store on these tables: it authenticates what processes share through Redis or the bus.
   * A store without it needs `redisCache({ key })` for a shared cache.
   */
  deploymentKey?(): Promise<Uint8Array>
  /**
   * How many of the user's tokens are active (neither revoked nor expired at `now`). Without it,
   * `maxTokensPerUser` counts from `listTokens`.
   */
  countActiveTokens?(userId: string, now: number): Promise<number>
  /**
   * A page of active tokens about to expire, of every user or one (see `ExpiringTokenQuery`), by
   * keyset on (expires_at, id). Without it, `tokens.expiring()` pages one user's `listTokens` in
   * memory, and refuses a call for every user with `unsupported`.
   */
  listExpiringTokens?(query: ExpiringTokenQuery): Promise<TokenRow[]>
  /** How many tokens `purgeTokens` would delete (see `PurgeQuery`). */
  countPurgeableTokens?(query: PurgeQuery): Promise<number>
  /**
   * Deletes at most `limit` tokens that match `query`, in one statement, and returns how many.
   * Without it (or `countPurgeableTokens`), `tokens.purge()` throws `unsupported`.
   */
  purgeTokens?(query: PurgeQuery & { limit: number }): Promise<number>
  /**
   * Appends rows to the audit log (ids assigned by the store, in the order given), in one
   * statement. Append-only: no method changes a row. Without it, an instance with `audit: true`
   * warns about each entry it could not write (and counts it in `stats().audit.errors`).
   */
  appendAudit?(rows: ReadonlyArray<Omit<AuditRow, 'id'>>): Promise<void>
  /** A page of the audit log (see `AuditQuery`), newest first. Without it, `audit.page()` throws `unsupported`. */
  listAudit?(query: AuditQuery): Promise<AuditRow[]>
  /**
   * Deletes at most `limit` audit rows older than `before` (epoch ms), in one statement, and
   * returns how many: the retention purge, the one deletion the log allows.
   */
  purgeAudit?(query: { before: number; limit: number }): Promise<number>
  /**
   * Records each expiry warning unless it is recorded already (insert-if-absent on
   * (token, window), safe from several processes at once) and returns the claims recorded now:
   * only their sender warns. Without it, `tokens.warnExpiring()` throws `unsupported`.
   */
  claimExpiryWarnings?(claims: readonly ExpiryClaim[], at: number): Promise<ExpiryClaim[]>
  /** Deletes the expiry warnings of tokens no longer stored (after a purge); returns how many. */
  pruneExpiryWarnings?(): Promise<number>
  close(): Promise<void>
}

/** The row of `<prefix>meta` that holds the deployment key. */
export const DEPLOYMENT_KEY_NAME = 'deployment_key'
