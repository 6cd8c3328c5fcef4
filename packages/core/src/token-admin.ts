import type { Clock } from './clock.js'
import { toGracePeriod } from './duration.js'
import { KeywardError } from './errors.js'
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
import type { Sessions } from './sessions.js'
import type { InvalidationMessage } from './shared-cache.js'
import type { KeywardStore, TokenRow } from './store.js'
import { storeCalls } from './store-calls.js'
import { assertRoomForToken } from './token-cap.js'
import { displayPrefix, generateToken } from './token-format.js'
import { encodeCursor, pageInMemory, requirePageOptions } from './token-pages.js'
import { statusOf, toRecord } from './token-rows.js'
import { cutOffUser } from './users.js'

/** The revocation reason of a rotated token, also set during its grace period. */
const ROTATED = 'rotated'

export type AdministrationContext = {
  tokenPrefix: string
  clock: Clock
  hasher: TokenHasher
  allowList: ReadonlySet<string> | null
  lifetime: LifetimePolicy
  maxTokensPerUser: number
  lifecycle: Lifecycle
  store: () => Promise<KeywardStore>
  propagate: (message: InvalidationMessage, during: string) => Promise<void>
  sessions: Sessions | null
}

/**
 * The management API: tokens (create, list, page, get, revoke, update, rotate, revokeAll), cutting
 * a user off, and sessions' issue/bump/version. Each writes the store, then propagates.
 */
export function createAdministration(context: AdministrationContext) {
  const { tokenPrefix, clock, hasher, lifetime, maxTokensPerUser, propagate, sessions } = context
  const { allowList } = context
  const { assertOpen, withStore } = storeCalls(context)

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

  const sessionApi = () => {
    if (sessions === null)
      throw new KeywardError(
        'invalid_option',
        'Sessions are not configured: pass `sessions` to createKeyward().',
      )
    assertOpen()
    return sessions
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

  const tokens: Omit<Keyward['tokens'], 'identify' | 'expiring' | 'purge'> = {
    async create(input) {
      const userId = requireUserId(input?.userId)
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
      requireUserId(userId)
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

  const users: Keyward['users'] = {
    revokeAll: async (userId, options = {}) => {
      requireUserId(userId)
      const reason = options.reason === undefined ? null : requireText(options.reason, 'reason')
      return cutOffUser(userId, {
        revokeTokens: (id) => revokeUserTokens(id, reason),
        endSessions,
      })
    },
  }

  const sessionsAdmin: Keyward['sessions'] = {
    issue: async (input) => sessionApi().issue(input),
    bump: async (userId) => sessionApi().bump(userId, clock.now()),
    version: async (userId) => sessionApi().version(userId),
  }

  return { tokens, users, sessions: sessionsAdmin }
}
