import { describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type KeywardOptions } from './keyward.js'
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
