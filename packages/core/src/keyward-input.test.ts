import { describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type KeywardOptions } from './keyward.js'
import { backends, manualClock } from './testing/backends.js'
import { checksum } from './token-format.js'

const bearer = (token: string) => `Bearer ${token}`

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
  })
}
