import { describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type KeywardOptions } from './keyward.js'
import { backends, manualClock } from './testing/backends.js'
import { checksum } from './token-format.js'

const bearer = (token: string) => `Bearer ${token}`
const DAY = 86_400_000

/** The security review's input and ownership rules of the tokens API (issue 19). */
for (const backend of await backends()) {
  describe(`tokens API input on ${backend.name}`, () => {
    async function setup(options: Omit<KeywardOptions, 'store'> = {}) {
      const created = await backend.create()
      const clock = manualClock()
      const make = (extra: Omit<KeywardOptions, 'store'> = {}) =>
        createKeyward({
          store: created.store,
          clock,
          tokenPrefix: 'myapp',
          hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
          logger: { warn: () => {} },
          ...options,
          ...extra,
        })
      return { kw: make(), make, clock, store: created.store }
    }

    it('refuses a token of another prefix re-checksummed for this one (instances sharing a table)', async () => {
      const { make } = await setup()
      const test = make({ tokenPrefix: 'test' })
      const live = make({ tokenPrefix: 'live' })
      const { token } = await test.tokens.create({ userId: 'u1', name: 'sandbox' })
      const body = `live${token.slice('test'.length, -6)}`
      const forged = body + checksum(body)
      expect(await live.authenticate(bearer(forged))).toMatchObject({
        ok: false,
        error: { code: 'invalid_token' },
      })
      expect(live.stats().rejections.wrong_prefix).toBe(1)
      expect(live.stats().hashVerifications).toBe(0)
      // Negative-cached like the other refusals: the second try reads nothing.
      expect((await live.authenticate(bearer(forged))).ok).toBe(false)
      expect(live.stats()).toMatchObject({ storeReads: 1, rejections: { negative_cache: 1 } })
      expect((await test.authenticate(bearer(token))).ok).toBe(true)
    })

    it('get() checks the owner as revoke does: null for another user, an error for a key naming no one', async () => {
      const { kw } = await setup()
      const { record } = await kw.tokens.create({ userId: 'victim', name: 'ci' })
      expect(await kw.tokens.get(record.id, { userId: 'victim' })).toMatchObject({ id: record.id })
      expect(await kw.tokens.get(record.id, { userId: 'attacker' })).toBeNull()
      expect(await kw.tokens.get(record.id)).toMatchObject({ id: record.id })
      for (const userId of [undefined, null, '', 42]) {
        await expect(
          kw.tokens.get(record.id, { userId } as unknown as { userId: string }),
        ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('userId') })
      }
    })

    it('refuses an explicit userId that names no one in revoke and rotate, changing nothing', async () => {
      const { kw } = await setup()
      const { token, record } = await kw.tokens.create({ userId: 'victim', name: 'ci' })
      for (const userId of [undefined, null, '', 42, 'a\u0000b']) {
        await expect(
          kw.tokens.revoke(record.id, { userId } as unknown as { userId: string }),
        ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('userId') })
        await expect(
          kw.tokens.rotate(record.id, { userId } as unknown as { userId: string }),
        ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('userId') })
      }
      const records = await kw.tokens.list('victim')
      expect(records.map((r) => [r.id, r.status])).toEqual([[record.id, 'active']])
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      // Without the key at all, an admin call as before.
      expect(await kw.tokens.revoke(record.id)).toMatchObject({ status: 'revoked' })
    })

    it('refuses user ids, names and reasons with a lone surrogate or NUL, everywhere they enter', async () => {
      const { kw } = await setup()
      const { record } = await kw.tokens.create({ userId: 'u1', name: 'ci' })
      for (const bad of ['a\ud800', '\udc00b', 'a\u0000']) {
        const calls = [
          () => kw.tokens.create({ userId: bad, name: 'ci' }),
          () => kw.tokens.create({ userId: 'u1', name: bad }),
          () => kw.tokens.list(bad),
          () => kw.tokens.revoke(record.id, { userId: bad }),
          () => kw.tokens.revoke(record.id, { reason: bad }),
          () => kw.tokens.revokeAll(bad),
          () => kw.tokens.revokeAll('u1', { reason: bad }),
          () => kw.tokens.rotate(record.id, { userId: bad }),
        ]
        for (const call of calls) {
          await expect(call()).rejects.toMatchObject({
            code: 'invalid_argument',
            message: expect.stringMatching(/surrogate|NUL/),
          })
        }
      }
      // A well-formed pair (an emoji) is fine.
      expect((await kw.tokens.create({ userId: 'u\u{1f600}', name: 'ok' })).record.userId).toBe('u\u{1f600}')
      expect((await kw.tokens.list('u1')).map((r) => r.status)).toEqual(['active'])
    })

    it('limits metadata to 4 KiB of JSON and the scopes of a token to 100', async () => {
      const { kw } = await setup()
      await expect(
        kw.tokens.create({ userId: 'u1', name: 'x', metadata: { blob: 'x'.repeat(4096) } }),
      ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('4096 bytes') })
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      await expect(kw.tokens.create({ userId: 'u1', name: 'x', metadata: cyclic })).rejects.toMatchObject({
        code: 'invalid_argument',
      })
      const many = Array.from({ length: 101 }, (_, i) => `s${i}`)
      await expect(kw.tokens.create({ userId: 'u1', name: 'x', scopes: many })).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining('100'),
      })
      expect(await kw.tokens.list('u1')).toEqual([])
      const fits = await kw.tokens.create({
        userId: 'u1',
        name: 'x',
        scopes: many.slice(0, 100),
        metadata: { blob: 'x'.repeat(4000) },
      })
      expect(fits.record.scopes).toHaveLength(100)
    })

    it('refuses expiries beyond 100 years, which a Date or a cache deadline cannot hold', async () => {
      // Without a maximum of its own, as before the lifetime policy.
      const { kw, clock } = await setup({
        tokenLifetime: { allowNeverExpiring: true, defaultExpiresIn: null },
      })
      for (const expiresIn of ['100000000d', '36526d'] as const) {
        await expect(kw.tokens.create({ userId: 'u1', name: 'x', expiresIn })).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringContaining('100 years'),
        })
      }
      await expect(
        kw.tokens.create({ userId: 'u1', name: 'x', expiresAt: new Date(8.64e15) }),
      ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('100 years') })
      const long = await kw.tokens.create({ userId: 'u1', name: 'x', expiresIn: '36525d' })
      expect(long.record.expiresAt?.getTime()).toBe(clock.now() + 36_525 * DAY)
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'y' })
      await expect(kw.tokens.rotate(record.id, { gracePeriod: '100000000d' })).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining('gracePeriod'),
      })
      expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'active', expiresAt: null })
      expect((await kw.tokens.list('u1')).length).toBe(2)
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
    })

    it('refuses to rotate a token again during its grace period: the successor is the one to rotate', async () => {
      // A never-expiring token among them, as the lifetime policy allows only when asked.
      const { kw, clock } = await setup({
        tokenLifetime: { allowNeverExpiring: true, defaultExpiresIn: null },
      })
      const old = await kw.tokens.create({ userId: 'u1', name: 'deploy', expiresIn: '90d' })
      const forever = await kw.tokens.create({ userId: 'u1', name: 'forever' })
      const first = await kw.tokens.rotate(old.record.id, { gracePeriod: '1h' })
      const foreverNext = await kw.tokens.rotate(forever.record.id, { gracePeriod: '1h' })
      clock.advance(60_000)
      for (const id of [old.record.id, forever.record.id]) {
        await expect(kw.tokens.rotate(id, { gracePeriod: '1h' })).rejects.toMatchObject({
          code: 'token_not_active',
          message: expect.stringContaining('successor'),
        })
        await expect(kw.tokens.rotate(id)).rejects.toMatchObject({ code: 'token_not_active' })
      }
      // Still readable as active until the grace period ends; one successor each, with full lifetimes.
      const list = await kw.tokens.list('u1')
      expect(list.filter((r) => r.status === 'active')).toHaveLength(4)
      expect(await kw.tokens.get(old.record.id)).toMatchObject({ status: 'active', revokedAt: null })
      expect((await kw.authenticate(bearer(old.token))).ok).toBe(true)
      expect(first.record.expiresAt?.getTime()).toBe(first.record.createdAt.getTime() + 90 * DAY)
      expect(foreverNext.record.expiresAt).toBeNull()
      // The successor rotates as usual.
      const second = await kw.tokens.rotate(first.record.id, { gracePeriod: '1h' })
      expect(second.record.expiresAt?.getTime()).toBe(clock.now() + 90 * DAY)
      clock.advance(3_600_000)
      expect(await kw.tokens.get(old.record.id)).toMatchObject({ status: 'expired' })
      expect((await kw.authenticate(bearer(old.token))).ok).toBe(false)
    })

    it('lets one of two concurrent grace rotations win even when the expiry stays as it was', async () => {
      const { kw, clock } = await setup()
      // Expiring within the grace period, so the rotation does not move its expiry.
      const old = await kw.tokens.create({
        userId: 'u1',
        name: 'deploy',
        expiresAt: new Date(clock.now() + 60_000),
      })
      const outcomes = await Promise.allSettled([
        kw.tokens.rotate(old.record.id, { gracePeriod: '1h' }),
        kw.tokens.rotate(old.record.id, { gracePeriod: '1h' }),
      ])
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({
        reason: { code: 'token_not_active' },
      })
      const successors = (await kw.tokens.list('u1')).filter((r) => r.id !== old.record.id)
      // One live successor; a loser that got as far as minting has its successor revoked at once.
      expect(successors.filter((r) => r.status === 'active')).toHaveLength(1)
      for (const r of successors.filter((r) => r.status !== 'active'))
        expect(r).toMatchObject({ status: 'revoked', revokedReason: 'rotation conflict' })
    })
  })
}
