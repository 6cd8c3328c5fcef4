import type { Actor } from './actor.js'
import type { DurationString } from './duration.js'
import type { ExpiryWarnings, WarnExpiringOptions } from './expiry-warnings.js'
import type { TokenStatus } from './store.js'
import type { TokenPageOptions } from './token-pages.js'
import type { ExpiringTokensOptions, PurgeResult, PurgeTokensOptions } from './token-upkeep.js'

/**
 * The public types of `kw.tokens`: a token's record, what creating one takes and gives, and the
 * calls (re-exported by keyward-types.ts, where `Keyward` names them).
 */

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

/** `kw.tokens`: the management calls of tokens, the operator's calls across users, and identify. */
export type KeywardTokens = {
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
