/**
 * What several processes share: a second cache level (Redis) and an invalidation bus (Redis
 * pub/sub, or Postgres LISTEN/NOTIFY). Keyward works without either; with them, a revoke, a
 * rotation or a session bump on one process reaches every process at once.
 */

/** A verified token as the shared level keeps it: a SHA-256 of the token, never the token. */
export type SharedTokenEntry = {
  /**
   * Base64 SHA-256 of `Bearer <token>` for the token that verified. An entry with any other digest
   * (one written by an earlier version, say) is a miss, and is replaced once the token verifies.
   */
  digest: string
  userId: string
  scopes: string[]
  expiresAt: number | null
  /** Epoch ms past which the entry must not be used (clamped to expiresAt). */
  validUntil: number
  /** HMAC-SHA256 (base64url) of the id and every field above under the deployment key. */
  mac?: string
}

/** A user's session version as the shared level keeps it. */
export type SharedVersionEntry = {
  version: number
  /** Epoch ms past which the entry must not be used. */
  validUntil: number
  /** HMAC-SHA256 (base64url) of the user id, version and validity under the deployment key. */
  mac?: string
}

export type InvalidationMessage = {
  /** Token ids to drop from every cache level. */
  tokens?: string[]
  /** A user's new session version. */
  user?: { id: string; version: number }
  /** A heartbeat (see `Heartbeat`): invalidates nothing; tells its sender the channel works. */
  beat?: string
  /** When it was signed (epoch ms), and its HMAC under the deployment key: see `signedBus`. */
  at?: number
  mac?: string
}

/** Ids per message: NOTIFY carries at most 8000 bytes, and a Redis MULTI or PUBLISH stays small. */
export const INVALIDATION_IDS_PER_MESSAGE = 200

/** One message per at most `INVALIDATION_IDS_PER_MESSAGE` ids, the session version on its own. */
export function splitInvalidation(message: InvalidationMessage): InvalidationMessage[] {
  const parts: InvalidationMessage[] = []
  const tokens = message.tokens ?? []
  for (let i = 0; i < tokens.length; i += INVALIDATION_IDS_PER_MESSAGE) {
    parts.push({ tokens: tokens.slice(i, i + INVALIDATION_IDS_PER_MESSAGE) })
  }
  if (message.user) parts.push({ user: message.user })
  return parts
}

export interface InvalidationBus {
  publish(message: InvalidationMessage): Promise<void>
  /**
   * Delivers every message (this process's own included). `onGap` is called when the connection
   * was lost and is back: messages may have been missed, so caches must be dropped.
   */
  subscribe(onMessage: (message: InvalidationMessage) => void, onGap: () => void): Promise<void>
  close(): Promise<void>
  /**
   * Ends the listening connection and opens another (then `onGap`): for a connection that went
   * silent without closing. A bus without it gets no heartbeat.
   */
  reconnect?(): void
  /**
   * A polled bus (SQLite's): how often, in ms, subscribers look for new messages. What
   * `kw.propagation()` states as the wait before another process reads one.
   */
  readonly pollInterval?: number
}

export interface SharedCache {
  /**
   * The entry (null when absent or malformed) and the token's generation (`''` when it has none),
   * read together. Reading creates nothing.
   */
  readToken(id: string): Promise<{ entry: SharedTokenEntry | null; generation: string }>
  /** Writes only while the generation is still `generation` (no invalidation since the read). */
  writeToken(id: string, entry: SharedTokenEntry, generation: string, ttl: number): Promise<boolean>
  /**
   * The token's generation, created if it has none: for a fill whose read found none, which must
   * then confirm with the store that the token is still good before it writes.
   */
  createGeneration(id: string): Promise<string>
  /** Bumps each token's generation and deletes its entry. */
  invalidateTokens(ids: readonly string[]): Promise<void>
  readVersion(userId: string): Promise<SharedVersionEntry | null>
  /** Raises the stored version to `entry.version` (never lowers it). */
  writeVersion(userId: string, entry: SharedVersionEntry, ttl: number): Promise<void>
  readonly bus: InvalidationBus
  /**
   * The key that authenticates entries and messages (at least 32 bytes), for a store that holds
   * none (`KeywardStore.deploymentKey`). Every process of one deployment must use the same.
   */
  readonly key?: Uint8Array
  close(): Promise<void>
}

/** Parses an invalidation payload; anything else is ignored. */
export function parseInvalidation(payload: string): InvalidationMessage | null {
  try {
    const value = JSON.parse(payload) as InvalidationMessage
    const message: InvalidationMessage = {}
    if (Array.isArray(value.tokens) && value.tokens.every((t) => typeof t === 'string'))
      message.tokens = value.tokens
    const user = value.user
    if (user && typeof user.id === 'string' && Number.isSafeInteger(user.version))
      message.user = { id: user.id, version: user.version }
    if (typeof value.beat === 'string' && value.beat.length <= 64) message.beat = value.beat
    if (!message.tokens && !message.user && !message.beat) return null
    if (Number.isSafeInteger(value.at)) message.at = value.at as number
    if (typeof value.mac === 'string') message.mac = value.mac
    return message
  } catch {
    return null
  }
}

export function isSharedTokenEntry(value: unknown): value is SharedTokenEntry {
  const entry = value as SharedTokenEntry
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.digest === 'string' &&
    typeof entry.userId === 'string' &&
    Array.isArray(entry.scopes) &&
    entry.scopes.every((s) => typeof s === 'string') &&
    (entry.expiresAt === null || Number.isSafeInteger(entry.expiresAt)) &&
    Number.isSafeInteger(entry.validUntil) &&
    (entry.mac === undefined || typeof entry.mac === 'string')
  )
}
