import { describe, expect, it } from 'vitest'
import { sha256Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { backends } from './testing/backends.js'

for (const backend of await backends()) {
  describe(`maxTokensPerUser on ${backend.name}`, () => {
    const make = async (maxTokensPerUser?: number) => {
      const { store } = await backend.create()
      return createKeyward({
        store,
        hasher: sha256Hasher(),
        ...(maxTokensPerUser === undefined ? {} : { maxTokensPerUser }),
      })
    }

    it('refuses a token past the cap; revoked and expired ones do not count; a rotation replaces one', async () => {
      const kw = await make(2)
      const first = await kw.tokens.create({ userId: 'u', name: 'a' })
      await kw.tokens.create({ userId: 'u', name: 'b', expiresIn: '1h' })
      await expect(kw.tokens.create({ userId: 'u', name: 'c' })).rejects.toMatchObject({
        code: 'too_many_tokens',
        message: expect.stringMatching(/2 active tokens; maxTokensPerUser is 2/),
      })
      expect(await kw.tokens.list('u')).toHaveLength(2)
      // Another user is not affected.
      await kw.tokens.create({ userId: 'v', name: 'a' })
      const rotated = await kw.tokens.rotate(first.record.id)
      await kw.tokens.revoke(rotated.record.id)
      await kw.tokens.create({ userId: 'u', name: 'c' })
      await kw.close()
    })

    it('validates the option', async () => {
      for (const bad of [0, -1, 1.5, Number.NaN, '10' as unknown as number]) {
        await expect(make(bad)).rejects.toMatchObject({
          code: 'invalid_option',
          message: expect.stringMatching(/maxTokensPerUser must be a positive integer/),
        })
      }
    })
  })
}
