import { type KnownActor, requireActor } from './actor.js'
import type { Clock } from './clock.js'
import { type CommittedChangeContext, propagateThenAnnounce } from './committed-change.js'
import { toGracePeriod } from './duration.js'
import { KeywardError } from './errors.js'
import { eventOf, type KeywardEvent, type KeywardEventType } from './events.js'
import type { TokenHasher } from './hashing.js'
import {
  ownerOf,
  requireDescription,
  requireMetadata,
  requireText,
  requireTokenChanges,
  requireUserId,
} from './input.js'
import type { CreatedToken, Keyward } from './keyward-types.js'
import type { Lifecycle } from './lifecycle.js'
import { expiryUnder, type LifetimePolicy, rotatedExpiry } from './lifetime.js'
import { normalizeScopes } from './scopes.js'
import type { KeywardStore, TokenRow } from './store.js'
import { storeCalls } from './store-calls.js'
import { assertRoomForToken } from './token-cap.js'
import { displayPrefix, generateToken } from './token-format.js'
import { encodeCursor, pageInMemory, requirePageOptions } from './token-pages.js'
import { statusOf, toRecord } from './token-rows.js'

/** The revocation reason of a rotated token, also set during its grace period. */
const ROTATED = 'rotated'

export type AdministrationContext = CommittedChangeContext & {
  tokenPrefix: string
  clock: Clock
  hasher: TokenHasher
  allowList: ReadonlySet<string> | null
  lifetime: LifetimePolicy
  maxTokensPerUser: number
  lifecycle: Lifecycle
  store: () => Promise<KeywardStore>
  /** Whether anyone (a listener, the audit log) takes events of this type. */
  needs: (type: KeywardEventType) => boolean
}

/**
 * The management API of tokens: create, list, page, get, revoke, update, rotate, revokeAll. Each
 * write goes to the store, is propagated, then announced (events, audit) with its actor.
 */
export function createAdministration(context: AdministrationContext) {
  const { tokenPrefix, clock, hasher, lifetime, maxTokensPerUser, needs } = context
  const { allowList } = context
  const { withStore } = storeCalls(context)

  const mint = async (
    store: KeywardStore,
    input: {
      userId: string
      name: string
      scopes: readonly string[]
      expiresAt: number | null
      metadata: TokenRow['metadata']
      description: string | null
      /** The instant the expiry was counted from: hashing and the store take time in between. */
      createdAt: number
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
      createdAt: input.createdAt,
      revokedAt: null,
      revokedReason: null,
      metadata: input.metadata,
      description: input.description,
    }
    await store.insertToken(row)
    return Object.freeze({ token, record: toRecord(row, clock.now()) })
  }

  /**
   * Every active token of the user revoked, one `token.revoked` each. Their records are read before
   * the revocation (only when someone takes the events), as `revoke` reads its token: a read that
   * fails then changes nothing, and none stands between the commit and its propagation.
   */
  const revokeUserTokens = (userId: string, reason: string | null, actor: KnownActor) =>
    withStore('revokeAll', async (store) => {
      const before = needs('token.revoked') ? await store.listTokens(userId) : null
      const revokedAt = clock.now()
      const ids = await store.revokeUserTokens(userId, { revokedAt, reason })
      if (ids.length === 0) return ids
      const revokedEvents = async (): Promise<KeywardEvent[]> => {
        if (before === null) return []
        const revoked = new Set(ids)
        const known = before.filter((row) => revoked.has(row.id))
        // A token created between the read and the revocation: read again, after the propagation.
        const rows =
          known.length === ids.length
            ? known.map((row) => ({ ...row, revokedAt, revokedReason: reason }))
            : (await store.listTokens(userId)).filter((row) => revoked.has(row.id))
        const now = clock.now()
        return rows.map((row) =>
          eventOf('token.revoked', revokedAt, { token: toRecord(row, now), reason, actor }),
        )
      }
      await propagateThenAnnounce(context, { tokens: ids }, 'The revocation', revokedEvents)
      return ids
    })

  const tokens: Omit<Keyward['tokens'], 'identify' | 'expiring' | 'purge' | 'warnExpiring'> = {
    async create(input) {
      const userId = requireUserId(input?.userId)
      const name = requireText(input.name, 'name')
      const scopes = normalizeScopes(input.scopes ?? [], allowList)
      const createdAt = clock.now()
      const expiresAt = expiryUnder(lifetime, input, createdAt)
      const metadata = input.metadata === undefined ? null : requireMetadata(input.metadata)
      const description = input.description === undefined ? null : requireDescription(input.description)
      const actor = requireActor(input.actor)
      return withStore('create', async (store) => {
        await assertRoomForToken(store, userId, { max: maxTokensPerUser, now: clock.now(), replacing: false })
        const created = await mint(store, {
          userId,
          name,
          scopes,
          expiresAt,
          metadata,
          description,
          createdAt,
        })
        const token = created.record
        await context.announce([eventOf('token.created', token.createdAt.getTime(), { token, actor })])
        return created
      })
    },
    async list(userId) {
      requireUserId(userId)
      return withStore('list', async (store) => {
        const now = clock.now()
        return (await store.listTokens(userId)).map((row) => toRecord(row, now))
      })
    },
    async page(userId, options = {}) {
      requireUserId(userId)
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
      const actor = requireActor(options.actor)
      return withStore('revoke', async (store) => {
        // Read first only for the event: a token revoked before (the first revocation wins) is no
        // `token.revoked` of this call, even at the same millisecond with the same reason.
        const before = needs('token.revoked') ? await store.findToken(id) : null
        const revokedAt = clock.now()
        const row = await store.revokeToken(id, {
          revokedAt,
          reason,
          ...(owner === undefined ? {} : { userId: owner }),
        })
        if (row === null) return null
        const record = toRecord(row, clock.now())
        const revokedNow =
          before !== null &&
          before.revokedAt === null &&
          row.revokedAt === revokedAt &&
          row.revokedReason === reason
        const events = revokedNow
          ? [eventOf('token.revoked', revokedAt, { token: record, reason, actor })]
          : []
        await propagateThenAnnounce(context, { tokens: [id] }, 'The revocation', events)
        return record
      })
    },
    async update(id, changes, options = {}) {
      requireText(id, 'id')
      const owner = ownerOf(options)
      const patch = requireTokenChanges(changes)
      const actor = requireActor(options.actor)
      return withStore('update', async (store) => {
        const row = await store.findToken(id)
        if (row === null || (owner !== undefined && row.userId !== owner)) return null
        // Name and description play no part in authentication: no cache holds them, nothing to invalidate.
        const updated = await store.updateToken(id, patch)
        if (updated === null) return null
        const now = clock.now()
        const token = toRecord(updated, now)
        const fields = (['name', 'description'] as const).filter((field) => field in patch)
        await context.announce([eventOf('token.updated', now, { token, changes: fields, actor })])
        return token
      })
    },
    async revokeAll(userId, options = {}) {
      requireUserId(userId)
      const reason = options.reason === undefined ? null : requireText(options.reason, 'reason')
      return (await revokeUserTokens(userId, reason, requireActor(options.actor))).length
    },
    async rotate(id, options = {}) {
      requireText(id, 'id')
      const owner = ownerOf(options)
      const grace = toGracePeriod(options.gracePeriod ?? 0)
      const actor = requireActor(options.actor)
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
          createdAt: now,
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
        const rotated = Object.freeze({ ...created, previous: toRecord(previous, clock.now()) })
        const event = eventOf('token.rotated', now, {
          token: created.record,
          previous: rotated.previous,
          actor,
        })
        // Every process re-reads the old token, and so caches it no longer than its new expiry.
        await propagateThenAnnounce(context, { tokens: [id] }, 'The rotation', [event])
        return rotated
      })
    },
  }

  return { tokens, revokeUserTokens }
}
