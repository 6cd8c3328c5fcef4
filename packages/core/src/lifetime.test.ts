import { describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type KeywardOptions } from './keyward.js'
import { backends, manualClock } from './testing/backends.js'

const SECRET = 'a-session-secret-of-at-least-32-bytes!!'

/** Token and session lifetimes (issue 20): what a caller may write, and the policy applied. */
for (const backend of await backends()) {
  describe(`token lifetimes on ${backend.name}`, () => {
    async function setup(options: Omit<KeywardOptions, 'store'> = {}) {
      const { store } = await backend.create()
      const clock = manualClock()
      const kw = createKeyward({
        store,
        clock,
        hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
        logger: { warn: () => {} },
        sessions: { secret: SECRET },
        ...options,
      })
      return { kw, clock }
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
  })
}
