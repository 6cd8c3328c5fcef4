import { describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type KeywardOptions } from './keyward.js'
import type { KeywardStore } from './store.js'
import { backends, manualClock } from './testing/backends.js'

const bearer = (token: string) => `Bearer ${token}`

/** Managing tokens (issue 20): update, pages of a list, and cutting a user off. */
for (const backend of await backends()) {
  describe(`managing tokens on ${backend.name}`, () => {
    async function setup(options: Omit<KeywardOptions, 'store'> = {}) {
      const { store } = await backend.create()
      const clock = manualClock()
      const kw = createKeyward({
        store,
        clock,
        hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
        logger: { warn: () => {} },
        ...options,
      })
      return { kw, clock, store }
    }

    it('update() renames and describes a token of its owner; the token keeps working', async () => {
      const { kw } = await setup()
      const { token, record } = await kw.tokens.create({
        userId: 'u1',
        name: 'ci',
        expiresIn: '30d',
        description: 'Deploys from CI',
      })
      expect(record.description).toBe('Deploys from CI')
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      const renamed = await kw.tokens.update(record.id, { name: 'deploy' }, { userId: 'u1' })
      expect(renamed).toMatchObject({ id: record.id, name: 'deploy', description: 'Deploys from CI' })
      const cleared = await kw.tokens.update(record.id, { description: null }, { userId: 'u1' })
      expect(cleared).toMatchObject({ name: 'deploy', description: null })
      expect(await kw.tokens.update(record.id, { name: 'stolen' }, { userId: 'u2' })).toBeNull()
      expect(await kw.tokens.update('nope', { name: 'x' })).toBeNull()
      expect(await kw.tokens.get(record.id)).toMatchObject({ name: 'deploy', status: 'active' })
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
    })

    it('update() refuses bad input and changes nothing', async () => {
      const { kw } = await setup()
      const { record } = await kw.tokens.create({ userId: 'u1', name: 'ci', expiresIn: '30d' })
      expect(record.description).toBeNull()
      const refusals: Array<[unknown, unknown, RegExp]> = [
        [{ name: '' }, { userId: 'u1' }, /name/],
        [{ description: 'x'.repeat(1025) }, { userId: 'u1' }, /description.*1024/],
        [{ description: 'a\u0000b' }, { userId: 'u1' }, /description/],
        [{ nmae: 'typo' }, { userId: 'u1' }, /nmae/],
        [{}, { userId: 'u1' }, /name or description/],
        [{ name: 'x' }, { userId: undefined }, /userId/],
      ]
      for (const [changes, options, message] of refusals) {
        await expect(kw.tokens.update(record.id, changes as never, options as never)).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringMatching(message),
        })
      }
      await expect(
        kw.tokens.create({ userId: 'u1', name: 'x', expiresIn: '1d', description: 'x'.repeat(1025) }),
      ).rejects.toMatchObject({ code: 'invalid_argument' })
      expect(await kw.tokens.get(record.id)).toMatchObject({ name: 'ci', description: null })
      const fits = await kw.tokens.update(record.id, { description: 'x'.repeat(1024) }, { userId: 'u1' })
      expect(fits?.description).toHaveLength(1024)
    })
  })
}

for (const backend of await backends()) {
  describe(`pages of tokens on ${backend.name}`, () => {
    async function setup(withoutPageQuery = false) {
      const created = await backend.create()
      // A custom store without listTokenPage: the same pages, cut in memory.
      const store: KeywardStore = withoutPageQuery
        ? (({ listTokenPage: _, ...rest }) => rest)(created.store)
        : created.store
      const clock = manualClock()
      const kw = createKeyward({
        store,
        clock,
        hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
        logger: { warn: () => {} },
      })
      return { kw, clock }
    }

    it('page() pages with an opaque cursor, newest first, filtered by status; list() is as it was', async () => {
      const { kw, clock } = await setup()
      const made: string[] = []
      for (let i = 0; i < 7; i++) {
        const { record } = await kw.tokens.create({
          userId: 'u1',
          name: `t${i}`,
          expiresIn: i === 2 ? '1m' : '30d',
        })
        made.push(record.id)
        if (i % 2 === 0) clock.advance(1) // some share a creation time
      }
      await kw.tokens.revoke(made[4] ?? '')
      clock.advance(60_000)
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await kw.tokens.page('u1', { limit: 3, ...(cursor ? { cursor } : {}) })
        expect(page.tokens.length).toBeLessThanOrEqual(3)
        seen.push(...page.tokens.map((r) => r.id))
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      expect(seen).toEqual((await kw.tokens.list('u1')).map((r) => r.id))
      expect(seen).toHaveLength(7)
      const expired = await kw.tokens.page('u1', { status: 'expired' })
      expect(expired).toEqual({
        tokens: [expect.objectContaining({ id: made[2], status: 'expired' })],
        nextCursor: null,
      })
      const revoked = await kw.tokens.page('u1', { status: 'revoked' })
      expect(revoked.tokens.map((r) => r.id)).toEqual([made[4]])
      const active = await kw.tokens.page('u1', { status: 'active', limit: 5 })
      expect(active.tokens.every((r) => r.status === 'active')).toBe(true)
      expect(active.tokens).toHaveLength(5)
      expect(active.nextCursor).toBeNull()
      expect(await kw.tokens.page('nobody')).toEqual({ tokens: [], nextCursor: null })
    })

    it('page() gives the same pages over a store without listTokenPage', async () => {
      const { kw, clock } = await setup(true)
      for (let i = 0; i < 5; i++) {
        await kw.tokens.create({ userId: 'u1', name: `t${i}`, expiresIn: '30d' })
        if (i % 2 === 0) clock.advance(1)
      }
      const first = await kw.tokens.page('u1', { limit: 3 })
      const second = await kw.tokens.page('u1', { limit: 3, cursor: first.nextCursor ?? '' })
      expect([...first.tokens, ...second.tokens].map((r) => r.id)).toEqual(
        (await kw.tokens.list('u1')).map((r) => r.id),
      )
      expect(second.nextCursor).toBeNull()
      expect((await kw.tokens.page('u1', { status: 'revoked' })).tokens).toEqual([])
    })

    it('page() refuses a bad cursor, status, limit or option as invalid_argument', async () => {
      const { kw } = await setup()
      await kw.tokens.create({ userId: 'u1', name: 'a', expiresIn: '30d' })
      await kw.tokens.create({ userId: 'u1', name: 'b', expiresIn: '30d' })
      const { nextCursor } = await kw.tokens.page('u1', { limit: 1 })
      expect(nextCursor).toEqual(expect.any(String))
      const refusals: Array<[unknown, RegExp]> = [
        [{ cursor: 'not a cursor' }, /cursor/],
        [{ cursor: `${nextCursor}x` }, /cursor/],
        [{ cursor: Buffer.from('1.2.3').toString('base64url') }, /cursor/],
        [{ cursor: Buffer.from('-5.abc').toString('base64url') }, /cursor/],
        [{ cursor: '' }, /cursor/],
        [{ status: 'deleted' }, /status/],
        [{ limit: 0 }, /limit/],
        [{ limit: 101 }, /limit/],
        [{ limit: 2.5 }, /limit/],
        [{ sort: 'asc' }, /sort/],
      ]
      for (const [options, message] of refusals) {
        await expect(kw.tokens.page('u1', options as never)).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringMatching(message),
        })
      }
      await expect(kw.tokens.page('', {})).rejects.toMatchObject({ code: 'invalid_argument' })
    })
  })
}

for (const backend of await backends()) {
  describe(`cutting a user off on ${backend.name}`, () => {
    const SECRET = 'a-session-secret-of-at-least-32-bytes!!'
    async function setup(options: Omit<KeywardOptions, 'store'> = {}) {
      const created = await backend.create()
      const clock = manualClock()
      const make = (extra: Omit<KeywardOptions, 'store'> = {}) =>
        createKeyward({
          store: created.store,
          clock,
          hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
          logger: { warn: () => {} },
          ...options,
          ...extra,
        })
      return { kw: make(), make, clock }
    }

    it('users.revokeAll() revokes every token and ends every session of the user, and says what it did', async () => {
      const { kw } = await setup({ sessions: { secret: SECRET } })
      const pats = [
        await kw.tokens.create({ userId: 'u1', name: 'a', expiresIn: '30d' }),
        await kw.tokens.create({ userId: 'u1', name: 'b', expiresIn: '30d' }),
      ]
      const other = await kw.tokens.create({ userId: 'u2', name: 'c', expiresIn: '30d' })
      const session = await kw.sessions.issue({ userId: 'u1' })
      const otherSession = await kw.sessions.issue({ userId: 'u2' })
      for (const credential of [...pats.map((p) => p.token), session.token])
        expect((await kw.authenticate(bearer(credential))).ok).toBe(true)
      const done = await kw.users.revokeAll('u1', { reason: 'account disabled' })
      expect(done).toEqual({
        userId: 'u1',
        tokensRevoked: 2,
        tokenIds: expect.arrayContaining(pats.map((p) => p.record.id)),
        sessionVersion: 1,
      })
      for (const credential of [...pats.map((p) => p.token), session.token])
        expect(await kw.authenticate(bearer(credential))).toMatchObject({
          ok: false,
          error: { code: 'invalid_token' },
        })
      expect(await kw.tokens.get(pats[0]?.record.id ?? '')).toMatchObject({
        status: 'revoked',
        revokedReason: 'account disabled',
      })
      expect((await kw.authenticate(bearer(other.token))).ok).toBe(true)
      expect((await kw.authenticate(bearer(otherSession.token))).ok).toBe(true)
      // Again: nothing left to revoke, and sessions end again.
      expect(await kw.users.revokeAll('u1')).toMatchObject({
        tokensRevoked: 0,
        tokenIds: [],
        sessionVersion: 2,
      })
    })

    it('users.revokeAll() bumps the session version even on an instance without sessions (an admin script)', async () => {
      const { make } = await setup()
      const server = make({ sessions: { secret: SECRET } })
      const script = make()
      await server.sessions.issue({ userId: 'u1' })
      expect(await script.users.revokeAll('u1')).toMatchObject({ tokensRevoked: 0, sessionVersion: 1 })
      expect(await server.sessions.version('u1')).toBe(1)
      await expect(script.users.revokeAll('')).rejects.toMatchObject({ code: 'invalid_argument' })
      await expect(script.users.revokeAll('u1', { reason: '' })).rejects.toMatchObject({
        code: 'invalid_argument',
      })
    })
  })
}
