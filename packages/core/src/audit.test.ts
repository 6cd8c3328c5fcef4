import { afterEach, describe, expect, it } from 'vitest'
import type { AuditEntry } from './audit.js'
import { sha256Hasher } from './hashing.js'
import { createKeyward, type Keyward, type KeywardOptions } from './keyward.js'
import { revokeLeakedToken } from './leak-report.js'
import type { KeywardStore } from './store.js'
import { backends, manualClock, wrongSecret } from './testing/backends.js'

const DAY = 86_400_000
const SECRET = 'a-session-secret-of-at-least-32-bytes!!'

/** The audit log (issue 24): one row per management event, paged newest first, append-only. */
for (const backend of await backends()) {
  describe(`the audit log on ${backend.name}`, () => {
    const instances: Keyward[] = []
    afterEach(async () => {
      await Promise.all(instances.splice(0).map((kw) => kw.close()))
    })
    async function setup(
      options: Omit<KeywardOptions, 'store'> & { wrap?: (store: KeywardStore) => KeywardStore } = {},
    ) {
      const { wrap, ...rest } = options
      const created = await backend.create()
      const clock = manualClock()
      const warnings: string[] = []
      const kw = createKeyward({
        store: wrap ? wrap(created.store) : created.store,
        clock,
        hasher: sha256Hasher(),
        logger: { warn: (message) => warnings.push(message) },
        sessions: { secret: SECRET },
        audit: true,
        ...rest,
      })
      instances.push(kw)
      return { kw, clock, warnings, created }
    }
    const all = async (kw: Keyward, options = {}) => {
      const entries: AuditEntry[] = []
      let cursor: string | null = null
      do {
        const page: Awaited<ReturnType<Keyward['audit']['page']>> = await kw.audit.page({
          ...options,
          limit: 2,
          cursor,
        })
        entries.push(...page.entries)
        cursor = page.nextCursor
      } while (cursor !== null)
      return entries
    }

    it('records every management call with its actor, newest first, and never a token', async () => {
      const { kw, clock } = await setup()
      const ada = { kind: 'user', id: 'ada', address: '2001:db8::7', userAgent: 'Firefox/128' } as const
      const created = await kw.tokens.create({
        userId: 'ada',
        name: 'ci',
        expiresIn: '30d',
        scopes: ['repo'],
        actor: ada,
      })
      const id = created.record.id
      clock.advance(1000)
      await kw.tokens.update(id, { description: 'CI' }, { userId: 'ada', actor: ada })
      clock.advance(1000)
      const rotated = await kw.tokens.rotate(id, { gracePeriod: '1h', actor: ada })
      clock.advance(1000)
      await kw.tokens.revoke(rotated.record.id, { reason: 'done', actor: { kind: 'cli', id: 'ops' } })
      clock.advance(1000)
      const leaky = await kw.tokens.create({ userId: 'bob', name: 'leaky' })
      await revokeLeakedToken(kw, leaky.token, {
        report: { reporter: 'github', type: 'acme_pat', url: 'https://github.com/x/y/blob/main/.env' },
      })
      await kw.users.revokeAll('bob', { reason: 'offboarded' })
      await kw.sessions.bump('ada')
      const entries = await all(kw)
      expect(entries.map((e) => [e.action, e.tokenId, e.userId, e.actor.kind])).toEqual([
        ['session.bumped', null, 'ada', 'admin'],
        ['user.cut-off', null, 'bob', 'admin'],
        ['session.bumped', null, 'bob', 'admin'],
        ['token.leaked', leaky.record.id, 'bob', 'system'],
        ['token.revoked', leaky.record.id, 'bob', 'system'],
        ['token.created', leaky.record.id, 'bob', 'admin'],
        ['token.revoked', rotated.record.id, 'ada', 'cli'],
        ['token.rotated', id, 'ada', 'user'],
        ['token.updated', id, 'ada', 'user'],
        ['token.created', id, 'ada', 'user'],
      ])
      const last = entries[entries.length - 1] as AuditEntry
      expect(last).toMatchObject({
        at: new Date(created.record.createdAt),
        actor: ada,
        detail: { scopes: ['repo'], expiresAt: created.record.expiresAt?.toISOString() },
      })
      expect(entries[7]?.detail).toMatchObject({ successor: rotated.record.id })
      expect(entries[6]?.detail).toEqual({ reason: 'done' })
      expect(entries[4]?.detail).toEqual({ reason: 'leaked' })
      expect(entries[3]?.detail).toEqual({
        revokedNow: true,
        reporter: 'github',
        type: 'acme_pat',
        url: 'https://github.com/x/y/blob/main/.env',
        source: null,
      })
      expect(entries[1]?.detail).toEqual({ tokensRevoked: 0, sessionVersion: 1 })
      const text = JSON.stringify(entries)
      for (const token of [created.token, rotated.token, leaky.token])
        expect(text).not.toContain(token.slice(-49))
      expect(text).not.toMatch(/sha256|argon2/)
      expect(kw.stats().audit).toEqual({ rows: 10, errors: 0 })
    })

    it('pages by user, token and action with an opaque cursor, and refuses bad options precisely', async () => {
      const { kw } = await setup()
      const a = (await kw.tokens.create({ userId: 'ada', name: 'a' })).record.id
      const b = (await kw.tokens.create({ userId: 'bob', name: 'b' })).record.id
      await kw.tokens.revoke(a)
      await kw.tokens.revoke(b)
      expect((await all(kw, { userId: 'ada' })).map((e) => [e.action, e.tokenId])).toEqual([
        ['token.revoked', a],
        ['token.created', a],
      ])
      expect((await all(kw, { tokenId: b })).map((e) => e.action)).toEqual(['token.revoked', 'token.created'])
      expect((await all(kw, { action: 'token.created' })).map((e) => e.tokenId)).toEqual([b, a])
      const first = await kw.audit.page({ limit: 3 })
      expect(first.entries).toHaveLength(3)
      const rest = await kw.audit.page({ limit: 3, cursor: first.nextCursor })
      expect([rest.entries.map((e) => e.tokenId), rest.nextCursor]).toEqual([[a], null])
      const refusals: Array<[unknown, RegExp]> = [
        [{ cursor: 'nope' }, /cursor is not one audit.page\(\) returned/],
        [{ cursor: Buffer.from('a1x').toString('base64url') }, /cursor/],
        [{ limit: 0 }, /limit must be a whole number from 1 to 100/],
        [{ limit: 101 }, /limit/],
        [{ action: 'token.deleted' }, /action must be one of/],
        [{ userId: '' }, /userId/],
        [{ who: 'ada' }, /Unknown audit.page\(\) option "who"/],
        ['ada', /must be an object/],
      ]
      for (const [options, message] of refusals) {
        await expect(kw.audit.page(options as never)).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringMatching(message),
        })
      }
    })

    it('off by default: nothing is written, the table is there all the same', async () => {
      const { kw } = await setup({ audit: false })
      expect(kw.audit.enabled).toBe(false)
      await kw.tokens.create({ userId: 'ada', name: 'a' })
      expect(await kw.audit.page()).toEqual({ entries: [], nextCursor: null })
      expect(kw.stats().audit).toEqual({ rows: 0, errors: 0 })
    })

    it('a failed append is warned and counted; the call it follows still succeeds', async () => {
      const { kw, warnings } = await setup({
        wrap: (store) => ({
          ...store,
          appendAudit: async () => {
            throw new Error('disk full')
          },
        }),
      })
      const { record } = await kw.tokens.create({ userId: 'ada', name: 'a' })
      expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'active' })
      expect(warnings).toEqual(['1 audit entry (token.created) not written: disk full'])
      expect(kw.stats().audit).toEqual({ rows: 0, errors: 1 })
    })

    it('purges entries older than the retention, and only those', async () => {
      const { kw, clock } = await setup()
      await kw.tokens.create({ userId: 'ada', name: 'old' })
      clock.advance(40 * DAY)
      await kw.tokens.create({ userId: 'ada', name: 'new' })
      await expect(kw.audit.purge({ olderThan: '1h' })).rejects.toThrow(/at least '1d'/)
      await expect(kw.audit.purge({ olderThan: '30d', batchSize: 0 })).rejects.toThrow(/batchSize/)
      const purged = await kw.audit.purge({ olderThan: '30d', batchSize: 1 })
      expect(purged).toEqual({ purged: 1, before: new Date(clock.now() - 30 * DAY) })
      expect((await kw.audit.page()).entries).toHaveLength(1)
    })

    it('a leak report of a token revoked before is still a token.leaked (revokedNow false)', async () => {
      const { kw } = await setup()
      const seen: unknown[] = []
      kw.events.on('token.leaked', (event) => void seen.push(event))
      const { token, record } = await kw.tokens.create({ userId: 'ada', name: 'a' })
      await kw.tokens.revoke(record.id, { reason: 'owner' })
      expect((await revokeLeakedToken(kw, token)).outcome).toBe('already_revoked')
      expect((await revokeLeakedToken(kw, wrongSecret(token, 1))).outcome).toBe('unknown')
      expect(seen).toEqual([
        expect.objectContaining({
          token: expect.objectContaining({ id: record.id, revokedReason: 'owner' }),
          revokedNow: false,
          report: { reporter: 'operator', type: null, url: null, source: null },
          actor: { kind: 'system', id: null, address: null, userAgent: null },
        }),
      ])
      expect((await kw.audit.page({ action: 'token.leaked' })).entries).toHaveLength(1)
    })
  })
}
