import { describe, expect, it } from 'vitest'
import { clientKey } from './client-address.js'
import { argon2Hasher, type TokenHasher } from './hashing.js'
import { createKeyward, type KeywardOptions } from './keyward.js'
import { createProtection } from './protection.js'
import { backends, eventually, manualClock, wrongSecret } from './testing/backends.js'
import { checksum } from './token-format.js'

const bearer = (token: string) => `Bearer ${token}`

for (const backend of await backends()) {
  describe(`protections on ${backend.name}`, () => {
    async function setup(options: Partial<KeywardOptions> = {}) {
      const { store } = await backend.create()
      const clock = manualClock()
      const kw = createKeyward({
        store,
        clock,
        tokenPrefix: 'myapp',
        hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
        logger: { warn: () => {} },
        ...options,
      })
      return { kw, clock }
    }

    it('500 concurrent requests with one fresh token: one store read, one verification', async () => {
      const { kw } = await setup()
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'n' })
      const results = await Promise.all(Array.from({ length: 500 }, () => kw.authenticate(bearer(token))))
      expect(results.every((r) => r.ok)).toBe(true)
      expect(kw.stats()).toMatchObject({ storeReads: 1, hashVerifications: 1, coalesced: 499 })
    })

    it('caps concurrent verifications with a bounded queue: past it, 503 instead of a backlog', async () => {
      // Verifications wait at a gate, so that all 8 reach the limit whatever order the store answers in.
      const argon2 = argon2Hasher({ memoryCost: 1024, timeCost: 1 })
      let open = () => {}
      const gate = new Promise<void>((resolve) => {
        open = resolve
      })
      const hasher: TokenHasher = {
        ...argon2,
        verify: async (stored, secret) => gate.then(() => argon2.verify(stored, secret)),
      }
      const { kw } = await setup({ hasher, protection: { verifyConcurrency: 1, verifyQueue: 2 } })
      const tokens = await Promise.all(
        Array.from({ length: 8 }, (_, i) => kw.tokens.create({ userId: 'u', name: `t${i}` })),
      )
      const answers = Promise.all(tokens.map(({ token }) => kw.authenticate(bearer(token))))
      // One verifying, two waiting, the other five refused.
      await eventually(() => kw.stats().protection.verifyRejected === 5, 5000)
      open()
      const results = await answers
      const refused = results.filter((r) => !r.ok)
      expect(refused).toHaveLength(5)
      for (const r of refused)
        expect(r).toMatchObject({ ok: false, error: { code: 'unavailable', status: 503, retryAfter: 5 } })
      expect(kw.stats().protection).toMatchObject({ verifyRejected: 5, verifyQueuePeak: 2 })
      expect(kw.stats().hashVerifications).toBe(3)
    })

    it('answers a refused token again from the negative cache, which never evicts good entries', async () => {
      const { kw } = await setup({ cache: { max: 10 }, protection: { negativeCache: { max: 100 } } })
      const good = await kw.tokens.create({ userId: 'u', name: 'good' })
      await kw.authenticate(bearer(good.token))
      const unknown = `myapp_${'Q'.repeat(22)}_${'R'.repeat(43)}`
      const bad = unknown + checksum(unknown)
      await kw.authenticate(bearer(bad))
      await kw.authenticate(bearer(bad))
      expect(kw.stats()).toMatchObject({ storeReads: 2, protection: { negativeHits: 1 } })
      for (let i = 0; i < 500; i++) {
        const body = `myapp_${String(i).padStart(22, 'N')}_${'R'.repeat(43)}`
        await kw.authenticate(bearer(body + checksum(body)))
      }
      expect((await kw.authenticate(bearer(good.token))).ok).toBe(true)
      expect(kw.stats().cache.hits).toBe(1)
      const fresh = await kw.tokens.create({ userId: 'u', name: 'fresh' })
      expect((await kw.authenticate(bearer(fresh.token))).ok).toBe(true)
    })

    it('throttles wrong secrets for one id without argon2, while the real token keeps working', async () => {
      const { kw, clock } = await setup({ cache: { ttl: '10s' } })
      const real = await kw.tokens.create({ userId: 'u', name: 'real' })
      expect((await kw.authenticate(bearer(real.token))).ok).toBe(true)
      const verificationsBefore = kw.stats().hashVerifications
      for (let i = 0; i < 2000; i++) {
        expect((await kw.authenticate(bearer(wrongSecret(real.token, i)))).ok).toBe(false)
        if (i % 100 === 0) expect((await kw.authenticate(bearer(real.token))).ok).toBe(true)
      }
      expect(kw.stats().hashVerifications - verificationsBefore).toBe(5)
      expect(kw.stats().protection.throttled).toBe(1995)
      expect(kw.stats().rejections.throttled).toBe(1995)
      // Not a verdict on the token (it may be the real one, where it has not verified yet): retry later.
      expect(await kw.authenticate(bearer(wrongSecret(real.token, 4000)))).toEqual({
        ok: false,
        error: { code: 'unavailable', status: 503, description: expect.any(String), retryAfter: 60 },
      })
      clock.advance(45_500)
      expect(await kw.authenticate(bearer(wrongSecret(real.token, 4001)))).toMatchObject({
        error: { code: 'unavailable', retryAfter: 15 },
      })
      // Even past its cache TTL, the digest that verified before is not throttled.
      clock.advance(10_000)
      expect((await kw.authenticate(bearer(real.token))).ok).toBe(true)
      // The window ends: guesses are verified (and refused) again.
      clock.advance(60_000)
      expect((await kw.authenticate(bearer(wrongSecret(real.token, 5000)))).ok).toBe(false)
      expect(kw.stats().hashVerifications - verificationsBefore).toBe(7)
    })

    it('holds the wrong-secret budget against a burst of concurrent guesses', async () => {
      const { kw } = await setup()
      const real = await kw.tokens.create({ userId: 'u', name: 'real' })
      expect((await kw.authenticate(bearer(real.token))).ok).toBe(true)
      const verificationsBefore = kw.stats().hashVerifications
      const guesses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => kw.authenticate(bearer(wrongSecret(real.token, i)))),
      )
      expect(guesses.every((r) => !r.ok)).toBe(true)
      expect(kw.stats().hashVerifications - verificationsBefore).toBe(5)
      expect(kw.stats().protection.throttled).toBe(95)
      expect((await kw.authenticate(bearer(real.token))).ok).toBe(true)
    })

    it('a stranger flooding wrong secrets from one address cannot lock out the owner at another, on a cold process', async () => {
      const { kw } = await setup({ protection: { failuresPerToken: 2 } })
      const real = await kw.tokens.create({ userId: 'u', name: 'real' })
      // The token has never been used on this process: nothing cached, no digest verified.
      for (let i = 0; i < 50; i++)
        expect(
          (await kw.authenticate(bearer(wrongSecret(real.token, i)), { client: '203.0.113.7' })).ok,
        ).toBe(false)
      expect(kw.stats().hashVerifications).toBe(2)
      expect(
        await kw.authenticate(bearer(wrongSecret(real.token, 99)), { client: '203.0.113.7' }),
      ).toMatchObject({
        error: { code: 'unavailable', retryAfter: 60 },
      })
      expect(await kw.authenticate(bearer(real.token), { client: '198.51.100.2' })).toMatchObject({
        ok: true,
      })
      // Another address of the stranger's /64 shares its budget; the owner's network does not.
      const v6 = await kw.tokens.create({ userId: 'u', name: 'v6' })
      for (let i = 0; i < 10; i++)
        await kw.authenticate(bearer(wrongSecret(v6.token, i)), { client: `2001:db8:1:2::${i + 1}` })
      expect(kw.stats().hashVerifications).toBe(5)
      expect(await kw.authenticate(bearer(v6.token), { client: '2001:db8:1:3::1' })).toMatchObject({
        ok: true,
      })
    })

    it('a flood spread over many addresses: past the budget across clients, one try per address', async () => {
      const { kw } = await setup({ protection: { failuresPerToken: 2, failuresPerTokenAllClients: 6 } })
      const real = await kw.tokens.create({ userId: 'u', name: 'real' })
      // 3 addresses spend the id's budget across clients (2 each) ...
      for (let i = 0; i < 30; i++)
        await kw.authenticate(bearer(wrongSecret(real.token, i)), { client: `192.0.2.${i % 3}` })
      expect(kw.stats().hashVerifications).toBe(6)
      // ... after which each further address gets one try, and those that failed none.
      for (let i = 0; i < 20; i++)
        await kw.authenticate(bearer(wrongSecret(real.token, 100 + i)), { client: `198.51.100.${i % 10}` })
      expect(kw.stats().hashVerifications).toBe(16)
      expect(kw.stats().protection.throttled).toBe(24 + 10)
      // The owner, from a fresh address, is not locked out by any of it.
      expect(await kw.authenticate(bearer(real.token), { client: '203.0.113.9' })).toMatchObject({ ok: true })
    })

    it('with the defaults, 20 networks spending the whole budget across clients do not lock the owner out', async () => {
      const { kw } = await setup()
      const real = await kw.tokens.create({ userId: 'u', name: 'real' })
      for (let net = 0; net < 20; net++)
        for (let i = 0; i < 6; i++)
          await kw.authenticate(bearer(wrongSecret(real.token, net * 10 + i)), {
            client: `2001:db8:${net}::${i}`,
          })
      expect(kw.stats().hashVerifications).toBe(100)
      expect(await kw.authenticate(bearer(real.token), { client: '2001:db8:99::1' })).toMatchObject({
        ok: true,
      })
    })

    it('validates authenticate options', async () => {
      const { kw } = await setup()
      await expect(kw.authenticate('Bearer x', { client: 1 } as never)).rejects.toThrow(
        /`client` must be a string/,
      )
      await expect(kw.authenticate('Bearer x', { clinet: 'a' } as never)).rejects.toThrow(
        /unknown option "clinet"/,
      )
      await expect(kw.authenticate('Bearer x', null as never)).rejects.toThrow(/options must be an object/)
      expect(await kw.authenticate('Bearer x', {})).toMatchObject({ ok: false })
    })

    it('answers 503 when the hasher fails, and neither negative-caches nor throttles the token', async () => {
      const base = argon2Hasher({ memoryCost: 1024, timeCost: 1 })
      let failures = 0
      const warnings: string[] = []
      const { kw } = await setup({
        protection: { failuresPerToken: 1 },
        logger: { warn: (message) => warnings.push(message) },
        hasher: {
          ...base,
          verify: async (stored, secret) => {
            if (failures > 0) {
              failures--
              throw new Error('memory allocation failed')
            }
            return base.verify(stored, secret)
          },
        },
      })
      const { token } = await kw.tokens.create({ userId: 'u', name: 'real' })
      failures = 2
      for (let i = 0; i < 2; i++) {
        expect(await kw.authenticate(bearer(token))).toMatchObject({
          ok: false,
          error: { code: 'unavailable', status: 503 },
        })
      }
      expect(await kw.authenticate(bearer(token))).toMatchObject({ ok: true })
      expect(kw.stats()).toMatchObject({
        errors: { hasher: 2, store: 0 },
        protection: { negativeHits: 0, throttled: 0 },
      })
      expect(warnings).toEqual(['hash verification failed (Error)', 'hash verification failed (Error)'])
      expect(warnings.join()).not.toContain(token)
    })

    it('validates protection options', () => {
      expect(() => createKeyward({ protection: { verifyConcurrency: 0 } })).toThrow(/verifyConcurrency/)
      expect(() => createKeyward({ protection: { verifyQeue: 1 } as never })).toThrow(/unknown option/)
      expect(() => createKeyward({ protection: { failuresPerTokenAllClients: 0 } })).toThrow(
        /failuresPerTokenAllClients/,
      )
    })
  })
}

describe('createProtection', () => {
  it("gives a throttled id's Retry-After within the failure window, whatever the clock", () => {
    for (const start of [0, 1_000_000]) {
      const clock = manualClock(start)
      const protection = createProtection({ failuresPerToken: 1, failureWindow: '1m' }, clock)
      expect(protection.retryAfter('id')).toBe(1)
      protection.recordFailure('id')
      expect(protection.admit('id', 'digest')).toBeNull()
      expect(protection.retryAfter('id')).toBeGreaterThanOrEqual(1)
      expect(protection.retryAfter('id')).toBeLessThanOrEqual(60)
    }
  })
})

describe('clientKey', () => {
  it('keys IPv4 as it is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64, anything else cut to 64 characters', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7')
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(clientKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64')
    expect(clientKey('2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64')
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(clientKey('::1')).toBe('0:0:0:0::/64')
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(clientKey('x'.repeat(100))).toBe('x'.repeat(64))
    for (const none of ['', null, undefined]) expect(clientKey(none)).toBeUndefined()
  })

  it('throttles per client and id, and per id across clients, with one try left to a fresh client', () => {
    const protection = createProtection(
      { failuresPerToken: 2, failuresPerTokenAllClients: 3, failureWindow: '1m' },
      manualClock(),
    )
    protection.recordFailure('id', '192.0.2.1')
    protection.recordFailure('id', '192.0.2.1')
    expect(protection.admit('id', 'd', '192.0.2.1')).toBeNull()
    expect(protection.admit('other', 'd', '192.0.2.1')).not.toBeNull()
    protection.recordFailure('id', '192.0.2.2')
    // The id's budget across clients is spent: .2, with a failure of its own, is throttled ...
    expect(protection.admit('id', 'd', '192.0.2.2')).toBeNull()
    expect(protection.retryAfter('id', '192.0.2.2')).toBe(60)
    // ... while .3, with none, gets one try; its guess in flight holds it.
    const fresh = protection.admit('id', 'd', '192.0.2.3')
    expect(fresh).not.toBeNull()
    expect(protection.admit('id', 'd', '192.0.2.3')).toBeNull()
    fresh?.()
    protection.recordFailure('id', '192.0.2.3')
    expect(protection.admit('id', 'd', '192.0.2.3')).toBeNull()
    // The digest that verified before is never throttled.
    protection.recordSuccess('id', 'real')
    expect(protection.admit('id', 'real', '192.0.2.3')).not.toBeNull()
  })
})
