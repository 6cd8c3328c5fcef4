import { describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type KeywardOptions } from './keyward.js'
import { backends, manualClock } from './testing/backends.js'

const SECRET = 'a-session-secret-of-at-least-32-bytes!!'
const DAY = 86_400_000

/** Token and session lifetimes (issue 20): what a caller may write, and the policy applied. */
for (const backend of await backends()) {
  describe(`token lifetimes on ${backend.name}`, () => {
    async function setup(options: Omit<KeywardOptions, 'store'> = {}) {
      const { store } = await backend.create()
      const clock = manualClock()
      const make = (extra: Omit<KeywardOptions, 'store'> = {}) =>
        createKeyward({
          store,
          clock,
          hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
          logger: { warn: () => {} },
          sessions: { secret: SECRET },
          ...options,
          ...extra,
        })
      return { kw: make(), make, clock }
    }

    it('refuses a bare number as a lifetime (it would be milliseconds), saying what to write', async () => {
      const { kw } = await setup()
      for (const expiresIn of [30, 1500, 0]) {
        await expect(
          kw.tokens.create({ userId: 'u1', name: 'x', expiresIn: expiresIn as never }),
        ).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringMatching(/expiresIn.*'30d'.*expiresAt/),
        })
        await expect(
          kw.sessions.issue({ userId: 'u1', expiresIn: expiresIn as never }),
        ).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringContaining("'30d'"),
        })
      }
      const { store } = await backend.create()
      expect(() => createKeyward({ store, sessions: { secret: SECRET, expiresIn: 3600 as never } })).toThrow(
        /sessions\.expiresIn.*'1h'/,
      )
      expect(await kw.tokens.list('u1')).toEqual([])
    })

    it('refuses a lifetime it cannot read as a caller error, naming the units', async () => {
      const { kw } = await setup()
      for (const expiresIn of ['30 days', '1y', '6mo', 'forever', ''] as const) {
        await expect(
          kw.tokens.create({ userId: 'u1', name: 'x', expiresIn: expiresIn as never }),
        ).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringMatching(/expiresIn takes a duration such as '90d'.*no month or year unit/),
        })
      }
      expect(await kw.tokens.list('u1')).toEqual([])
    })

    it('refuses a lifetime under one minute', async () => {
      const { kw } = await setup()
      for (const expiresIn of ['30s', '59999ms', '0s'] as const) {
        await expect(kw.tokens.create({ userId: 'u1', name: 'x', expiresIn })).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringContaining('at least 1 minute'),
        })
        await expect(kw.sessions.issue({ userId: 'u1', expiresIn })).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringContaining('at least 1 minute'),
        })
      }
      const { record } = await kw.tokens.create({ userId: 'u1', name: 'x', expiresIn: '1m' })
      expect(record.expiresAt?.getTime()).toBe(record.createdAt.getTime() + 60_000)
      expect((await kw.sessions.issue({ userId: 'u1', expiresIn: '1m' })).token).toBeTypeOf('string')
    })

    it('takes gracePeriod as a duration string, or 0 for at once; other bare numbers are refused', async () => {
      const { kw } = await setup()
      const { record } = await kw.tokens.create({ userId: 'u1', name: 'x', expiresIn: '30d' })
      await expect(kw.tokens.rotate(record.id, { gracePeriod: 3600 as never })).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringMatching(/gracePeriod.*'1h'/),
      })
      expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'active', revokedReason: null })
      const rotated = await kw.tokens.rotate(record.id, { gracePeriod: '30s' })
      expect(rotated.previous.expiresAt?.getTime()).toBe(rotated.record.createdAt.getTime() + 30_000)
      const again = await kw.tokens.rotate(rotated.record.id, { gracePeriod: 0 })
      expect(again.previous.status).toBe('revoked')
    })

    it('by default a token expires in 90 days, at most a year ahead, and never-expiring is refused', async () => {
      const { kw, clock } = await setup()
      const { record } = await kw.tokens.create({ userId: 'u1', name: 'default' })
      expect(record.expiresAt?.getTime()).toBe(clock.now() + 90 * DAY)
      clock.advance(1)
      const year = await kw.tokens.create({ userId: 'u1', name: 'year', expiresIn: '365d' })
      expect(year.record.expiresAt?.getTime()).toBe(clock.now() + 365 * DAY)
      for (const input of [
        { expiresIn: '366d' as const },
        { expiresAt: new Date(clock.now() + 366 * DAY) },
      ]) {
        await expect(kw.tokens.create({ userId: 'u1', name: 'x', ...input })).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringContaining('maxLifetime'),
        })
      }
      await expect(kw.tokens.create({ userId: 'u1', name: 'x', expiresIn: null })).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining('allowNeverExpiring'),
      })
      expect((await kw.tokens.list('u1')).map((r) => r.name)).toEqual(['year', 'default'])
    })

    it('takes a policy of its own, checked up front with rules across its options', async () => {
      const { kw, clock } = await setup({
        tokenLifetime: { defaultExpiresIn: '7d', maxLifetime: '30d' },
      })
      expect((await kw.tokens.create({ userId: 'u1', name: 'a' })).record.expiresAt?.getTime()).toBe(
        clock.now() + 7 * DAY,
      )
      await expect(kw.tokens.create({ userId: 'u1', name: 'b', expiresIn: '31d' })).rejects.toMatchObject({
        code: 'invalid_argument',
      })
      // A maximum under 90 days alone is also the default.
      const short = await setup({ tokenLifetime: { maxLifetime: '30d' } })
      expect((await short.kw.tokens.create({ userId: 'u1', name: 'e' })).record.expiresAt?.getTime()).toBe(
        short.clock.now() + 30 * DAY,
      )
      const legacy = await setup({ tokenLifetime: { allowNeverExpiring: true, defaultExpiresIn: null } })
      expect((await legacy.kw.tokens.create({ userId: 'u1', name: 'c' })).record.expiresAt).toBeNull()
      expect(
        (await legacy.kw.tokens.create({ userId: 'u1', name: 'd', expiresIn: '3650d' })).record.expiresAt,
      ).not.toBeNull()
      const { store } = await backend.create()
      const refused: Array<[unknown, RegExp]> = [
        [{ defaultExpiresIn: '400d' }, /defaultExpiresIn.*maxLifetime/],
        [{ defaultExpiresIn: '10d', maxLifetime: '5d' }, /defaultExpiresIn.*maxLifetime/],
        [{ defaultExpiresIn: null }, /allowNeverExpiring/],
        [{ allowNeverExpiring: true, maxLifetime: '365d' }, /maxLifetime/],
        [{ maxLifetime: 30 }, /maxLifetime.*'30d'/],
        [{ maxLifetime: '30s' }, /at least 1 minute/],
        [{ allowNeverExpiring: 'yes' }, /allowNeverExpiring/],
        [{ maxLifetme: '30d' }, /maxLifetme/],
        ['90d', /tokenLifetime/],
      ]
      for (const [tokenLifetime, message] of refused) {
        expect(() => createKeyward({ store, tokenLifetime: tokenLifetime as never })).toThrow(
          expect.objectContaining({ code: 'invalid_option', message: expect.stringMatching(message) }),
        )
      }
    })

    it('a rotation keeps the lifetime within the policy', async () => {
      const legacy = { tokenLifetime: { allowNeverExpiring: true, defaultExpiresIn: null } } as const
      const { kw, clock, make } = await setup(legacy)
      const [forever, again, long, month] = [
        await kw.tokens.create({ userId: 'u1', name: 'forever' }),
        await kw.tokens.create({ userId: 'u1', name: 'again' }),
        await kw.tokens.create({ userId: 'u1', name: 'long', expiresIn: '3650d' }),
        await kw.tokens.create({ userId: 'u1', name: 'month', expiresIn: '30d' }),
      ]
      clock.advance(DAY)
      expect((await kw.tokens.rotate(again.record.id)).record.expiresAt).toBeNull()
      // The same deployment after adopting a stricter policy.
      const strict = make({ tokenLifetime: { defaultExpiresIn: '60d', maxLifetime: '365d' } })
      const expiryAfterRotation = async (id: string) =>
        (await strict.tokens.rotate(id)).record.expiresAt?.getTime()
      expect(await expiryAfterRotation(month.record.id)).toBe(clock.now() + 30 * DAY)
      expect(await expiryAfterRotation(long.record.id)).toBe(clock.now() + 365 * DAY)
      expect(await expiryAfterRotation(forever.record.id)).toBe(clock.now() + 60 * DAY)
    })
  })
}
