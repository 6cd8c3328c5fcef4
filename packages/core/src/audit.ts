import {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditEntry,
  auditEntryOf,
  auditRowOf,
  decodeAuditCursor,
  encodeAuditCursor,
} from './audit-rows.js'
import type { Clock } from './clock.js'
import { type DurationString, toLifetime } from './duration.js'
import { describeStoreError, KeywardError } from './errors.js'
import type { KeywardEvent } from './events.js'
import { requireText, requireUserId } from './input.js'
import type { Logger } from './keyward-types.js'
import type { Lifecycle } from './lifecycle.js'
import { assertKnownKeys } from './option-checks.js'
import type { KeywardStore } from './store.js'
import { storeCalls, unsupported } from './store-calls.js'
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './token-pages.js'

export type { AuditAction, AuditEntry } from './audit-rows.js'

export type AuditPageOptions = {
  /** Only entries about this user (their tokens, sessions, cut-off). */
  userId?: string
  /** Only entries about this token. */
  tokenId?: string
  action?: AuditAction
  /** 1 to 100, default 50. */
  limit?: number
  /** The `nextCursor` of the previous page (null or absent for the first). */
  cursor?: string | null
}

export type AuditPage = { readonly entries: readonly AuditEntry[]; readonly nextCursor: string | null }

export type AuditPurgeOptions = {
  /** Entries older than this: a duration string of at least `'1d'`. */
  olderThan: DurationString
  /** Rows deleted per statement (1 to 10000, default 500). */
  batchSize?: number
}

export type KeywardAudit = {
  /** Whether this instance writes the log (`createKeyward({ audit: true })`). */
  readonly enabled: boolean
  /** Newest first, optionally of one user, token or action; an opaque cursor continues it. */
  page(options?: AuditPageOptions): Promise<AuditPage>
  /** The retention purge: deletes entries older than `olderThan`. Nothing else deletes or changes one. */
  purge(options: AuditPurgeOptions): Promise<{ readonly purged: number; readonly before: Date }>
}

export type AuditStats = { rows: number; errors: number }

const PAGE_OPTIONS: ReadonlySet<string> = new Set(['userId', 'tokenId', 'action', 'limit', 'cursor'])
const PURGE_OPTIONS: ReadonlySet<string> = new Set(['olderThan', 'batchSize'])
const ACTIONS: ReadonlySet<string> = new Set(AUDIT_ACTIONS)
const MIN_RETENTION_MS = 86_400_000
/** Rows per append statement: a `revokeAll` of thousands of tokens stays under SQLite's variable limit. */
const APPEND_CHUNK = 200

function invalid(message: string): never {
  throw new KeywardError('invalid_argument', message)
}

function requireAuditPageOptions(options: unknown) {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    invalid('audit.page() options must be an object { userId?, tokenId?, action?, limit?, cursor? }.')
  }
  assertKnownKeys(
    options,
    PAGE_OPTIONS,
    (key) => `Unknown audit.page() option ${JSON.stringify(key)}`,
    'invalid_argument',
  )
  const { userId, tokenId, action, limit = DEFAULT_PAGE_LIMIT, cursor } = options as AuditPageOptions
  if (action !== undefined && !ACTIONS.has(action)) {
    invalid(`action must be one of ${AUDIT_ACTIONS.join(', ')}; got ${JSON.stringify(action)}.`)
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    invalid(`limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}; got ${JSON.stringify(limit)}.`)
  }
  return {
    userId: userId === undefined ? undefined : requireUserId(userId),
    tokenId: tokenId === undefined ? undefined : requireText(tokenId, 'tokenId'),
    action,
    limit,
    before: cursor === undefined || cursor === null ? undefined : decodeAuditCursor(cursor),
  }
}

/**
 * The audit log: `record` appends the rows of management events after their commit (when
 * `audit: true`), and `audit` reads and purges it. A failed append is warned and counted, and the
 * management call still succeeds: its change is committed already, and refusing it now would
 * report a failure that did not happen.
 */
export function createAudit(context: {
  enabled: boolean
  clock: Clock
  logger: Logger
  lifecycle: Lifecycle
  store: () => Promise<KeywardStore>
}) {
  const { enabled, clock, logger } = context
  const { withStore } = storeCalls(context)
  const stats: AuditStats = { rows: 0, errors: 0 }

  const record = async (events: readonly KeywardEvent[]): Promise<void> => {
    if (!enabled) return
    const rows = events.flatMap((event) => auditRowOf(event) ?? [])
    let written = 0
    try {
      const store = await context.store()
      if (!store.appendAudit) throw unsupported('appendAudit', 'audit: true')
      for (let start = 0; start < rows.length; start += APPEND_CHUNK) {
        const chunk = rows.slice(start, start + APPEND_CHUNK)
        await store.appendAudit(chunk)
        written += chunk.length
        stats.rows += chunk.length
      }
    } catch (error) {
      const lost = rows.length - written
      stats.errors += lost
      const actions = [...new Set(rows.slice(written).map((row) => row.action))].join(', ')
      logger.warn(
        `${lost} audit entr${lost === 1 ? 'y' : 'ies'} (${actions}) not written: ${describeStoreError(error)}`,
      )
    }
  }

  const audit: KeywardAudit = {
    enabled,
    async page(options = {}) {
      const { limit, ...query } = requireAuditPageOptions(options)
      return withStore('audit.page', async (store) => {
        if (!store.listAudit) throw unsupported('listAudit', 'audit.page()')
        // One more than asked: whether there is a next page, without a count.
        const rows = await store.listAudit({ ...query, limit: limit + 1 })
        const last = rows.length > limit ? rows[limit - 1] : undefined
        return Object.freeze({
          entries: Object.freeze(rows.slice(0, limit).map(auditEntryOf)),
          nextCursor: last === undefined ? null : encodeAuditCursor(last.id),
        })
      })
    },
    async purge(options) {
      if (typeof options !== 'object' || options === null)
        invalid('audit.purge() takes { olderThan, batchSize? }.')
      assertKnownKeys(
        options,
        PURGE_OPTIONS,
        (key) => `Unknown audit.purge() option ${JSON.stringify(key)}`,
        'invalid_argument',
      )
      const age = toLifetime(options.olderThan, 'olderThan', 'invalid_argument')
      if (age < MIN_RETENTION_MS)
        invalid(`olderThan must be at least '1d'; got ${JSON.stringify(options.olderThan)}.`)
      const batchSize = options.batchSize ?? 500
      if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
        invalid(`batchSize must be a whole number from 1 to 10000; got ${JSON.stringify(batchSize)}.`)
      }
      const before = clock.now() - age
      return withStore('audit.purge', async (store) => {
        if (!store.purgeAudit) throw unsupported('purgeAudit', 'audit.purge()')
        let purged = 0
        for (;;) {
          const deleted = await store.purgeAudit({ before, limit: batchSize })
          purged += deleted
          if (deleted < batchSize) return Object.freeze({ purged, before: new Date(before) })
        }
      })
    },
  }

  return { record, audit, stats }
}
