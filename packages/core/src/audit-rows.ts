import type { ActorKind, KnownActor } from './actor.js'
import { KeywardError } from './errors.js'
import type { KeywardEvent } from './events.js'
import type { AuditRow } from './store.js'

/**
 * What one audit row holds, from the event it records and back: pure. A row names the actor, the
 * token and the user, and keeps a little detail as JSON (a reason, a window, a successor's id):
 * never a token, a hash, or anything secret.
 */

/** The events the audit log records: every management event (not `token.expired` nor `auth.failures`). */
export type AuditAction =
  | 'token.created'
  | 'token.updated'
  | 'token.revoked'
  | 'token.rotated'
  | 'token.leaked'
  | 'token.expiring'
  | 'session.bumped'
  | 'user.cut-off'

export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'token.created',
  'token.updated',
  'token.revoked',
  'token.rotated',
  'token.leaked',
  'token.expiring',
  'session.bumped',
  'user.cut-off',
]

/** One entry of `audit.page()`. */
export type AuditEntry = {
  readonly id: number
  readonly at: Date
  readonly action: AuditAction
  readonly actor: KnownActor
  readonly tokenId: string | null
  readonly userId: string | null
  /** What the action adds: `{ reason }`, `{ window, expiresAt }`, `{ successor }`, … */
  readonly detail: Readonly<Record<string, unknown>> | null
}

type NewRow = Omit<AuditRow, 'id'>

const iso = (date: Date | null) => (date === null ? null : date.toISOString())

function rowOf(
  event: KeywardEvent & { actor: KnownActor },
  subject: { tokenId: string | null; userId: string },
  detail: Record<string, unknown>,
): NewRow {
  const { actor } = event
  return {
    at: event.at.getTime(),
    action: event.type,
    actorKind: actor.kind,
    actorId: actor.id,
    tokenId: subject.tokenId,
    userId: subject.userId,
    address: actor.address,
    userAgent: actor.userAgent,
    detail: JSON.stringify(detail),
  }
}

/** The audit row of an event, or null for an event the log does not record. */
export function auditRowOf(event: KeywardEvent): NewRow | null {
  switch (event.type) {
    case 'token.created': {
      const { token } = event
      return rowOf(
        event,
        { tokenId: token.id, userId: token.userId },
        {
          scopes: token.scopes,
          expiresAt: iso(token.expiresAt),
        },
      )
    }
    case 'token.updated':
      return rowOf(event, { tokenId: event.token.id, userId: event.token.userId }, { changes: event.changes })
    case 'token.revoked':
      return rowOf(event, { tokenId: event.token.id, userId: event.token.userId }, { reason: event.reason })
    case 'token.rotated': {
      // The row of the rotated token: its history ends there and names the successor.
      const { previous, token } = event
      return rowOf(
        event,
        { tokenId: previous.id, userId: previous.userId },
        {
          successor: token.id,
          previousExpiresAt: iso(previous.expiresAt),
        },
      )
    }
    case 'token.leaked': {
      const { token, report, revokedNow } = event
      return rowOf(event, { tokenId: token.id, userId: token.userId }, { revokedNow, ...report })
    }
    case 'token.expiring':
      return rowOf(
        event,
        { tokenId: event.token.id, userId: event.token.userId },
        {
          window: event.window,
          expiresAt: iso(event.token.expiresAt),
        },
      )
    case 'session.bumped':
      return rowOf(event, { tokenId: null, userId: event.userId }, { version: event.version })
    case 'user.cut-off':
      return rowOf(
        event,
        { tokenId: null, userId: event.userId },
        {
          tokensRevoked: event.tokenIds.length,
          sessionVersion: event.sessionVersion,
        },
      )
    default:
      return null
  }
}

function parseDetail(text: string | null): Readonly<Record<string, unknown>> | null {
  if (text === null) return null
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null
      ? Object.freeze(value as Record<string, unknown>)
      : null
  } catch {
    // A row written by something else than Keyward: shown without its detail rather than failing the page.
    return null
  }
}

export function auditEntryOf(row: AuditRow): AuditEntry {
  return Object.freeze({
    id: row.id,
    at: new Date(row.at),
    action: row.action as AuditAction,
    actor: Object.freeze({
      kind: row.actorKind as ActorKind,
      id: row.actorId,
      address: row.address,
      userAgent: row.userAgent,
    }),
    tokenId: row.tokenId,
    userId: row.userId,
    detail: parseDetail(row.detail),
  })
}

const CURSOR = /^[A-Za-z0-9_-]{1,40}$/
const POSITION = /^a(\d{1,16})$/

/** The cursor that continues below this id: base64url of `a<id>`. */
export function encodeAuditCursor(id: number): string {
  return Buffer.from(`a${id}`, 'utf8').toString('base64url')
}

export function decodeAuditCursor(cursor: unknown): number {
  const bad = () =>
    new KeywardError(
      'invalid_argument',
      'cursor is not one audit.page() returned: pass the nextCursor of the previous page, or none for the first.',
    )
  if (typeof cursor !== 'string' || !CURSOR.test(cursor)) throw bad()
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const match = POSITION.exec(text)
  if (!match || Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw bad()
  const id = Number(match[1])
  if (!Number.isSafeInteger(id)) throw bad()
  return id
}
