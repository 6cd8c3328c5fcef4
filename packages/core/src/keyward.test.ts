import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type Keyward, type KeywardOptions } from './keyward.js'
import { backends, eventually, manualClock } from './testing/backends.js'
import { checksum } from './token-format.js'

const bearer = (token: string) => `Bearer ${token}`
/** Cheap argon2 for cases that do not test hashing itself. */
const fastHasher = () => argon2Hasher({ memoryCost: 1024, timeCost: 1 })

for (const backend of await backends()) {
  describe(`Keyward on ${backend.name}`, () => {
    async function setup(options: Omit<KeywardOptions, 'store'> = {}) {
      const { store, dump, reopen, exec } = await backend.create()
      const clock = manualClock()
      const warnings: string[] = []
      const kw = createKeyward({
        store,
        clock,
        tokenPrefix: 'myapp',
        hasher: fastHasher(),
        logger: { warn: (m) => warnings.push(m) },
        ...options,
      })
      return { kw, store, clock, dump, reopen, exec, warnings }
    }

    // Until Postgres LISTEN is up, the in-process cache keeps entries for 5 s only: a case that
    // relies on a longer TTL waits for it (under load, the subscription can lag the first request).
    async function untilSubscribed(kw: Keyward) {
      if (backend.name === 'postgres') await eventually(() => kw.stats().invalidations.subscribed, 10_000)
    }

    it('creates a token shown once, and authenticates it into a principal', async () => {
      const { kw } = await setup({ scopes: ['repo:read', 'repo:write'] })
      const { token, record } = await kw.tokens.create({
        userId: 'u1',
        name: 'ci',
        scopes: ['repo:read'],
        expiresIn: '90d',
      })
      expect(token).toMatch(/^myapp_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}$/)
      expect(record).toMatchObject({ userId: 'u1', name: 'ci', scopes: ['repo:read'], status: 'active' })
      expect(record.prefix).toBe(`myapp_${record.id.slice(0, 6)}…`)
      expect(record).not.toHaveProperty('secretHash')
      const result = await kw.authenticate(bearer(token))
      expect(result).toEqual({
        ok: true,
        principal: {
          kind: 'pat',
          userId: 'u1',
          scopes: ['repo:read'],
          tokenId: record.id,
          expiresAt: record.expiresAt,
        },
      })
      expect(kw.stats()).toMatchObject({
        storeReads: 1,
        hashVerifications: 1,
        cache: { hits: 0, misses: 1, size: 1 },
      })
    })

    it('serves a repeat from the cache with no store read and no hash', async () => {
      const { kw } = await setup()
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'ci' })
      await kw.authenticate(bearer(token))
      for (let i = 0; i < 5; i++) expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      expect(kw.stats()).toMatchObject({ storeReads: 1, hashVerifications: 1, cache: { hits: 5, misses: 1 } })
    })

    it('serves the cached token however the header spells the scheme, and nothing else', async () => {
      const { kw } = await setup()
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'ci' })
      await kw.authenticate(bearer(token))
      // The same length as the canonical header (the hot path's), then longer (the full path's).
      for (const header of [`BEARER ${token}`, `bearer   ${token}`, `Bearer ${token}`])
        expect((await kw.authenticate(header)).ok).toBe(true)
      const altered = `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`
      expect((await kw.authenticate(altered)).ok).toBe(false)
      expect(kw.stats()).toMatchObject({ storeReads: 1, hashVerifications: 1, cache: { hits: 3, misses: 1 } })
    })

    it('gives every invalid-token cause the identical error', async () => {
      const { kw, clock } = await setup()
      const { token: good } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const { token: expiring } = await kw.tokens.create({ userId: 'u1', name: 'b', expiresIn: '1m' })
      const { token: revoked, record } = await kw.tokens.create({ userId: 'u1', name: 'c' })
      await kw.tokens.revoke(record.id)
      clock.advance(60_000)
      const wrongSecretBody = `${good.slice(0, -49)}${'A'.repeat(43)}`
      const candidates = [
        wrongSecretBody + checksum(wrongSecretBody),
        `myapp_${'B'.repeat(22)}_${'C'.repeat(43)}${checksum(`myapp_${'B'.repeat(22)}_${'C'.repeat(43)}`)}`,
        good.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x')),
        good.replace('myapp', 'other'),
        expiring,
        revoked,
        'not-a-keyward-token',
      ]
      const errors = await Promise.all(candidates.map(async (t) => kw.authenticate(bearer(t))))
      for (const result of errors) {
        expect(result).toEqual({
          ok: false,
          error: {
            code: 'invalid_token',
            status: 401,
            description: 'The access token is invalid, expired or revoked.',
          },
        })
      }
      expect(kw.stats().rejections).toMatchObject({
        wrong_secret: 1,
        unknown: 1,
        bad_checksum: 1,
        wrong_prefix: 1,
        expired: 1,
        revoked: 1,
        malformed: 1,
      })
    })

    it('rejects bad checksums and shapes with zero store reads and zero hashes', async () => {
      const { kw } = await setup()
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const before = kw.stats()
      const junk = [
        token.slice(0, -1) + (token.endsWith('0') ? '1' : '0'),
        'abc',
        token.replace('myapp', 'yourapp'),
        `${token}0`,
      ]
      for (const t of junk) expect(await kw.authenticate(bearer(t))).toMatchObject({ ok: false })
      expect(kw.stats()).toMatchObject({
        storeReads: before.storeReads,
        hashVerifications: before.hashVerifications,
      })
    })

    it('answers header failures with RFC 6750 codes', async () => {
      const { kw } = await setup()
      expect(await kw.authenticate(undefined)).toMatchObject({
        ok: false,
        error: { code: 'missing_token', status: 401 },
      })
      expect(await kw.authenticate('Basic abc')).toMatchObject({
        ok: false,
        error: { code: 'missing_token' },
      })
      expect(await kw.authenticate('Bearer a b')).toMatchObject({
        ok: false,
        error: { code: 'invalid_request', status: 400 },
      })
      expect(await kw.authenticate(['Bearer a', 'Bearer b'])).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      })
      expect(await kw.authenticate(`Bearer ${'a'.repeat(300)}`)).toMatchObject({
        ok: false,
        error: { code: 'invalid_request', description: 'The bearer token is too long.' },
      })
    })

    it('rejects a token right after it expires although the cache TTL is 10 minutes', async () => {
      const { kw, clock } = await setup({ cache: { ttl: '10m' } })
      const { token } = await kw.tokens.create({
        userId: 'u1',
        name: 'short',
        expiresAt: new Date(clock.now() + 1500),
      })
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      clock.advance(1499)
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      clock.advance(1)
      expect(await kw.authenticate(bearer(token))).toMatchObject({
        ok: false,
        error: { code: 'invalid_token' },
      })
      expect(kw.stats().cache.hits).toBe(1)
    })

    it('never caches an expired token and re-reads after the cache TTL', async () => {
      const { kw, clock } = await setup({ cache: { ttl: '10s' } })
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      await kw.authenticate(bearer(token))
      clock.advance(10_000)
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      expect(kw.stats().storeReads).toBe(2)
    })

    it('renews a token in use before its cache entry expires: one store read, no hash, no miss', async () => {
      const { kw, clock } = await setup({ cache: { ttl: '10s' }, lastUsed: { flushInterval: '1h' } })
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      await untilSubscribed(kw)
      await kw.authenticate(bearer(token))
      clock.advance(7_999)
      await kw.authenticate(bearer(token))
      expect(kw.stats().cache.refreshes).toBe(0)
      clock.advance(1)
      // The hit that asks for the refresh is answered from the entry, without waiting for it.
      expect(kw.check(bearer(token))).toMatchObject({ ok: true, principal: { tokenId: record.id } })
      await kw.flush()
      expect(kw.stats()).toMatchObject({
        storeReads: 2,
        hashVerifications: 1,
        cache: { refreshes: 1, renewed: 1, misses: 1 },
      })
      clock.advance(5_000)
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      expect(kw.stats()).toMatchObject({ storeReads: 2, hashVerifications: 1, cache: { misses: 1 } })
      // The fill, then one use a window (10 s) later: a renewal is no use of its own.
      await kw.flush()
      expect(kw.stats().lastUsed).toMatchObject({ statements: 2, rows: 2 })
      await kw.close()
    })

    it('lets a token unused near the end of its entry expire as before', async () => {
      const { kw, clock } = await setup({ cache: { ttl: '10s' } })
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      await untilSubscribed(kw)
      await kw.authenticate(bearer(token))
      clock.advance(7_000)
      await kw.authenticate(bearer(token))
      clock.advance(3_000)
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      expect(kw.stats()).toMatchObject({ storeReads: 2, hashVerifications: 2, cache: { refreshes: 0 } })
    })

    it('a refresh that finds the token revoked behind its back drops the entry at once', async () => {
      const { kw, clock, exec } = await setup({ cache: { ttl: '10s' } })
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      await untilSubscribed(kw)
      await kw.authenticate(bearer(token))
      // Written past Keyward, so no invalidation is sent: only the refresh can notice.
      await exec(`UPDATE {tokens} SET revoked_at = 1 WHERE id = '${record.id}'`)
      clock.advance(9_000)
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      await kw.flush()
      expect(kw.stats().cache).toMatchObject({ refreshes: 1, renewed: 0, size: 0 })
      expect(await kw.authenticate(bearer(token))).toMatchObject({
        ok: false,
        error: { code: 'invalid_token' },
      })
      expect(kw.stats().rejections.revoked).toBe(1)
    })

    it('does not renew a token whose stored hash changed: that needs the secret again', async () => {
      const { kw, clock, exec } = await setup({ cache: { ttl: '10s' } })
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const other = await kw.tokens.create({ userId: 'u1', name: 'b' })
      await untilSubscribed(kw)
      await kw.authenticate(bearer(token))
      await exec(
        `UPDATE {tokens} SET secret_hash = (SELECT secret_hash FROM {tokens} WHERE id = '${other.record.id}') WHERE id = '${record.id}'`,
      )
      clock.advance(9_000)
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      await kw.flush()
      expect(kw.stats().cache).toMatchObject({ refreshes: 1, renewed: 0, size: 1 })
      clock.advance(1_000)
      expect(await kw.authenticate(bearer(token))).toMatchObject({
        ok: false,
        error: { code: 'invalid_token' },
      })
      expect(kw.stats().rejections.wrong_secret).toBe(1)
    })

    /**
     * A cached token whose refresh is in flight, its store read done but held until `release()`:
     * the window in which an invalidation or a miss must win over it.
     */
    async function setupWithRefreshHeld() {
      const { store, exec } = await backend.create()
      let release = () => {}
      let holdNext = false
      let rowRead = () => {}
      const read = new Promise<void>((resolve) => {
        rowRead = resolve
      })
      const heldStore = new Proxy(store, {
        get(target, key) {
          if (key === 'findToken' && holdNext) {
            holdNext = false
            return async (id: string) => {
              const row = await target.findToken(id)
              await new Promise<void>((resolve) => {
                release = resolve
                rowRead()
              })
              return row
            }
          }
          const value = Reflect.get(target, key, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
      const clock = manualClock()
      const kw = createKeyward({ store: heldStore, clock, hasher: fastHasher(), cache: { ttl: '10s' } })
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      await untilSubscribed(kw)
      await kw.authenticate(bearer(token))
      clock.advance(9_000)
      holdNext = true
      expect(kw.check(bearer(token))).toMatchObject({ ok: true })
      await read
      return { kw, clock, exec, token, record, release: () => release() }
    }

    it('a refresh in flight during a revoke does not bring the token back', async () => {
      const { kw, token, record, release } = await setupWithRefreshHeld()
      await kw.tokens.revoke(record.id)
      release()
      await kw.flush()
      expect(kw.stats().cache).toMatchObject({ refreshes: 1, renewed: 0, size: 0 })
      expect((await kw.authenticate(bearer(token))).ok).toBe(false)
      await kw.close()
    })

    it('a slow refresh never overwrites a newer entry that a miss filled meanwhile', async () => {
      const { kw, clock, exec, token, record, release } = await setupWithRefreshHeld()
      // The token's life is cut short past Keyward (as by a rotation this process was never told
      // of), the old entry expires, and a miss reads the new expiry, all while the refresh waits.
      const graceEnd = clock.now() + 3_000
      await exec(`UPDATE {tokens} SET expires_at = ${graceEnd} WHERE id = '${record.id}'`)
      clock.advance(1_000)
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      release()
      await kw.flush()
      expect(kw.stats().cache).toMatchObject({ refreshes: 1, renewed: 0, misses: 2 })
      clock.advance(graceEnd - clock.now() - 1)
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      clock.advance(1)
      expect((await kw.authenticate(bearer(token))).ok).toBe(false)
      await kw.close()
    })

    it('rejects a revoked token on the next request although it was cached', async () => {
      const { kw } = await setup()
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      const revoked = await kw.tokens.revoke(record.id, { userId: 'u1', reason: 'leaked' })
      expect(revoked).toMatchObject({ status: 'revoked', revokedReason: 'leaked' })
      expect(await kw.authenticate(bearer(token))).toMatchObject({
        ok: false,
        error: { code: 'invalid_token' },
      })
    })

    it('does not let another user revoke a token', async () => {
      const { kw } = await setup()
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      expect(await kw.tokens.revoke(record.id, { userId: 'mallory' })).toBeNull()
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
    })

    it('revokes all of a user’s tokens, cached or not', async () => {
      const { kw } = await setup()
      const a = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const b = await kw.tokens.create({ userId: 'u1', name: 'b' })
      const other = await kw.tokens.create({ userId: 'u2', name: 'c' })
      await kw.authenticate(bearer(a.token))
      expect(await kw.tokens.revokeAll('u1', { reason: 'password changed' })).toBe(2)
      expect((await kw.authenticate(bearer(a.token))).ok).toBe(false)
      expect((await kw.authenticate(bearer(b.token))).ok).toBe(false)
      expect((await kw.authenticate(bearer(other.token))).ok).toBe(true)
    })

    it('rotates: the new token works now, the old one until the grace period ends', async () => {
      const { kw, clock } = await setup()
      const old = await kw.tokens.create({ userId: 'u1', name: 'deploy', scopes: ['a'], expiresIn: '30d' })
      await kw.authenticate(bearer(old.token))
      const rotated = await kw.tokens.rotate(old.record.id, { gracePeriod: '1h' })
      expect(rotated.record).toMatchObject({ userId: 'u1', name: 'deploy', scopes: ['a'], status: 'active' })
      expect(rotated.record.expiresAt?.getTime()).toBe(clock.now() + 30 * 86_400_000)
      expect(rotated.previous.expiresAt?.getTime()).toBe(clock.now() + 3_600_000)
      expect((await kw.authenticate(bearer(rotated.token))).ok).toBe(true)
      expect((await kw.authenticate(bearer(old.token))).ok).toBe(true)
      clock.advance(3_600_000)
      expect((await kw.authenticate(bearer(old.token))).ok).toBe(false)
      expect((await kw.authenticate(bearer(rotated.token))).ok).toBe(true)
    })

    it('rotates with no grace period by revoking the old token at once', async () => {
      const { kw } = await setup()
      const old = await kw.tokens.create({ userId: 'u1', name: 'deploy' })
      await kw.authenticate(bearer(old.token))
      const rotated = await kw.tokens.rotate(old.record.id, { gracePeriod: 0 })
      expect(rotated.previous).toMatchObject({ status: 'revoked', revokedReason: 'rotated' })
      expect((await kw.authenticate(bearer(old.token))).ok).toBe(false)
      await expect(kw.tokens.rotate(old.record.id)).rejects.toMatchObject({ code: 'token_not_active' })
      await expect(kw.tokens.rotate('nope')).rejects.toMatchObject({ code: 'token_not_found' })
    })

    it('lets only one of two concurrent rotations win', async () => {
      const { kw } = await setup()
      const old = await kw.tokens.create({ userId: 'u1', name: 'deploy' })
      const outcomes = await Promise.allSettled([
        kw.tokens.rotate(old.record.id),
        kw.tokens.rotate(old.record.id),
      ])
      const won = outcomes.filter((o) => o.status === 'fulfilled')
      expect(won).toHaveLength(1)
      expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({
        reason: { code: 'token_not_active' },
      })
      const active = (await kw.tokens.list('u1')).filter((r) => r.status === 'active')
      expect(active).toHaveLength(1)
    })

    it('lists newest first with status, and gets one; never a secret or hash', async () => {
      const { kw, clock } = await setup()
      const first = await kw.tokens.create({ userId: 'u1', name: 'first', metadata: { via: 'cli' } })
      clock.advance(1)
      const second = await kw.tokens.create({ userId: 'u1', name: 'second', expiresIn: '1m' })
      clock.advance(60_000)
      const list = await kw.tokens.list('u1')
      expect(list.map((r) => [r.name, r.status])).toEqual([
        ['second', 'expired'],
        ['first', 'active'],
      ])
      expect(await kw.tokens.get(first.record.id)).toMatchObject({ name: 'first', metadata: { via: 'cli' } })
      expect(await kw.tokens.get('missing')).toBeNull()
      const text = JSON.stringify([list, await kw.tokens.get(second.record.id)])
      expect(text).not.toMatch(/argon2|secretHash|secret_hash/)
      expect(text).not.toContain(first.token.slice(30))
    })

    it('checks scopes and arguments at create time with clear errors', async () => {
      const { kw } = await setup({ scopes: ['repo:read'] })
      await expect(
        kw.tokens.create({ userId: 'u1', name: 'x', scopes: ['repo:write'] }),
      ).rejects.toMatchObject({
        code: 'unknown_scope',
        message: expect.stringContaining('"repo:write"'),
      })
      await expect(kw.tokens.create({ userId: '', name: 'x' })).rejects.toMatchObject({
        code: 'invalid_argument',
      })
      await expect(
        kw.tokens.create({ userId: 'u', name: 'x', expiresIn: '-1d' as never }),
      ).rejects.toMatchObject({
        // A call's argument, like every other bad lifetime (this said invalid_option before).
        code: 'invalid_argument',
      })
    })

    it('writes last-used at most once per cache window, batched, and flushes on close', async () => {
      const { kw, clock, reopen } = await setup({ cache: { ttl: '10m' }, lastUsed: { flushInterval: '1h' } })
      const a = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const b = await kw.tokens.create({ userId: 'u1', name: 'b' })
      for (let i = 0; i < 20; i++) {
        await kw.authenticate(bearer(a.token))
        await kw.authenticate(bearer(b.token))
      }
      await kw.flush()
      expect(kw.stats().lastUsed).toMatchObject({ statements: 1, rows: 2, pending: 0 })
      expect((await kw.tokens.get(a.record.id))?.lastUsedAt?.getTime()).toBe(clock.now())
      clock.advance(600_000)
      await kw.authenticate(bearer(a.token))
      const usedAt = clock.now()
      await kw.close()
      expect((await (await reopen()).findToken(a.record.id))?.lastUsedAt).toBe(usedAt)
    })

    it('a token evicted and refilled within the window still has its use recorded one window on', async () => {
      const { kw, clock } = await setup({ cache: { ttl: '10m', max: 2 }, lastUsed: { flushInterval: '1h' } })
      const a = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const b = await kw.tokens.create({ userId: 'u1', name: 'b' })
      const c = await kw.tokens.create({ userId: 'u1', name: 'c' })
      await untilSubscribed(kw)
      await kw.authenticate(bearer(b.token))
      clock.advance(1000)
      await kw.authenticate(bearer(a.token))
      const aRecordedAt = clock.now()
      // b is read again, so c's fill evicts a (second chance) while a's recorded use is remembered.
      await kw.authenticate(bearer(b.token))
      await kw.authenticate(bearer(c.token))
      clock.advance(300_000)
      await kw.authenticate(bearer(a.token))
      clock.advance(aRecordedAt + 600_000 - clock.now())
      expect(await kw.authenticate(bearer(a.token))).toMatchObject({ ok: true })
      expect(kw.stats().cache.hits).toBe(2)
      await kw.flush()
      expect((await kw.tokens.get(a.record.id))?.lastUsedAt?.getTime()).toBe(clock.now())
      await kw.close()
    })

    it('answers unavailable (503), not invalid_token, when the store fails on a miss; cached tokens still pass', async () => {
      const { kw, store, warnings } = await setup()
      const cached = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const cold = await kw.tokens.create({ userId: 'u1', name: 'b' })
      await kw.authenticate(bearer(cached.token))
      await store.close()
      expect(await kw.authenticate(bearer(cold.token))).toEqual({
        ok: false,
        error: { code: 'unavailable', status: 503, description: expect.any(String), retryAfter: 5 },
      })
      expect((await kw.authenticate(bearer(cached.token))).ok).toBe(true)
      expect(kw.stats().errors.store).toBe(1)
      expect(warnings.join('\n')).not.toContain(cold.token)
    })

    it('shares one store read and one verification among concurrent misses', async () => {
      const { kw } = await setup()
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const results = await Promise.all(Array.from({ length: 50 }, () => kw.authenticate(bearer(token))))
      expect(results.every((r) => r.ok)).toBe(true)
      expect(kw.stats()).toMatchObject({ storeReads: 1, hashVerifications: 1, coalesced: 49 })
    })

    it('does not cache a token revoked while its verification was in flight', async () => {
      const { kw } = await setup()
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const inFlight = kw.authenticate(bearer(token))
      await kw.tokens.revoke(record.id)
      await inFlight
      expect((await kw.authenticate(bearer(token))).ok).toBe(false)
      expect(kw.stats().cache.size).toBe(0)
    })

    it('re-hashes after a parameter bump on the next successful verify', async () => {
      const { store } = await backend.create()
      const before = createKeyward({ store, hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }) })
      const { token, record } = await before.tokens.create({ userId: 'u1', name: 'a' })
      const after = createKeyward({ store, hasher: argon2Hasher({ memoryCost: 2048, timeCost: 2 }) })
      expect((await after.authenticate(bearer(token))).ok).toBe(true)
      await after.flush()
      expect(after.stats().rehashes).toBe(1)
      expect((await store.findToken(record.id))?.secretHash).toMatch(/\$m=2048,t=2,p=1\$/)
      const fresh = createKeyward({ store, hasher: argon2Hasher({ memoryCost: 2048, timeCost: 2 }) })
      expect((await fresh.authenticate(bearer(token))).ok).toBe(true)
    })

    it('rejects a row tampered to huge argon2 parameters without running argon2', async () => {
      const { kw, store } = await setup()
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const row = await store.findToken(record.id)
      const tampered = row?.secretHash.replace(/m=\d+,t=\d+,p=\d+/, 'm=4194304,t=100000,p=64') ?? ''
      expect(tampered).not.toBe(row?.secretHash)
      await store.updateToken(record.id, { secretHash: tampered })
      expect(await kw.authenticate(bearer(token))).toMatchObject({
        ok: false,
        error: { code: 'invalid_token' },
      })
      expect(kw.stats()).toMatchObject({ hashVerifications: 0, rejections: { bad_hash: 1 } })
    })

    it('never stores, reports or echoes the plaintext token or secret (sentinels)', async () => {
      const { kw, dump, warnings, store } = await setup()
      const created = await Promise.all(
        ['a', 'b', 'c'].map((name) =>
          kw.tokens.create({ userId: 'u1', name, scopes: ['x'], expiresIn: '1d' }),
        ),
      )
      const sentinels = created.flatMap(({ token }) => [token, token.split('_')[2]?.slice(0, 43) ?? token])
      for (const { token } of created) await kw.authenticate(bearer(token))
      const errors: unknown[] = []
      errors.push(await kw.authenticate(bearer(`${created[0]?.token}x`)))
      await kw.tokens.revoke(created[0]?.record.id ?? '')
      errors.push(await kw.authenticate(bearer(created[0]?.token ?? '')))
      await kw.tokens.rotate(created[1]?.record.id ?? '', { gracePeriod: 0 })
      await kw.flush()
      await store.close()
      errors.push(await kw.authenticate(bearer(created[2]?.token ?? '')))
      const haystacks = [
        await dump(),
        JSON.stringify(kw.stats()),
        JSON.stringify(errors),
        warnings.join('\n'),
      ]
      for (const sentinel of sentinels) {
        for (const haystack of haystacks) expect(haystack.includes(sentinel)).toBe(false)
      }
      expect(haystacks[0]).toContain(created[0]?.record.id)
    })

    it('keeps query parameters (hashes) out of store errors and warnings', async () => {
      const { kw, exec, warnings } = await setup()
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      await exec('DROP TABLE {tokens}')
      const error = await kw.tokens.create({ userId: 'u1', name: 'b' }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'store_error' })
      expect((error as Error).cause).toBeUndefined()
      expect((error as Error).message).not.toMatch(/argon2|params|\$/)
      expect(await kw.authenticate(bearer(token))).toMatchObject({
        ok: false,
        error: { code: 'unavailable' },
      })
      expect(warnings.join('\n')).not.toMatch(/argon2|params|insert|select/i)
      expect(warnings.join('\n')).not.toContain(token.slice(-49))
    })

    it('close() lets requests in flight finish, then writes last-used and stops for good', async () => {
      const { kw, warnings, reopen } = await setup({ lastUsed: { flushInterval: 1 } })
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'a' })
      const inFlight = kw.authenticate(bearer(token))
      await kw.close()
      expect((await inFlight).ok).toBe(true)
      expect(await kw.authenticate(bearer(token))).toMatchObject({
        ok: false,
        error: { code: 'unavailable' },
      })
      await expect(kw.tokens.list('u1')).rejects.toMatchObject({ code: 'closed' })
      expect((await (await reopen()).findToken(record.id))?.lastUsedAt).not.toBeNull()
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(warnings).toEqual([])
      expect(kw.stats().lastUsed).toMatchObject({ pending: 0, errors: 0 })
    })

    it('never throws on malformed input', async () => {
      const { kw } = await setup()
      const inputs = [
        '',
        'x'.repeat(10_000),
        'Bearer é',
        'Bearer \u0000\u0001',
        `Bearer ${'€'.repeat(100)}`,
        'Bearer myapp__',
      ]
      for (const input of inputs) expect((await kw.authenticate(input)).ok).toBe(false)
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), async (s) => {
          expect((await kw.authenticate(`Bearer ${s}`)).ok).toBe(false)
          expect((await kw.authenticate(`Bearer myapp_${s}`)).ok).toBe(false)
        }),
        { numRuns: 200 },
      )
    })
  })
}

describe('createKeyward from the environment', () => {
  it('opens the store named by KEYWARD_DATABASE_URL, and retries an open that failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-env-'))
    vi.stubEnv('KEYWARD_DATABASE_URL', join(dir, 'not-yet', 'keyward.db'))
    const warnings: string[] = []
    const kw = createKeyward({ tokenPrefix: 'myapp', logger: { warn: (m) => warnings.push(m) } })
    try {
      const probe = `Bearer myapp_${'B'.repeat(22)}_${'C'.repeat(43)}${checksum(`myapp_${'B'.repeat(22)}_${'C'.repeat(43)}`)}`
      expect(await kw.authenticate(probe)).toMatchObject({ ok: false, error: { code: 'unavailable' } })
      mkdirSync(join(dir, 'not-yet'))
      expect(await kw.authenticate(probe)).toMatchObject({ ok: false, error: { code: 'invalid_token' } })
      const { token } = await kw.tokens.create({ userId: 'u', name: 'n' })
      expect((await kw.authenticate(`Bearer ${token}`)).ok).toBe(true)
      expect(warnings).toEqual([
        expect.stringMatching(/^store error during authentication/),
        'store reachable again',
      ])
    } finally {
      await kw.close()
      vi.unstubAllEnvs()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('createKeyward options', () => {
  it('validates options when called, naming the culprit', () => {
    expect(() => createKeyward({ tokenPrefix: 'My_App' })).toThrow(/tokenPrefix/)
    expect(() => createKeyward({ cache: { ttl: 'soon' as never } })).toThrow(/cache\.ttl/)
    expect(() => createKeyward({ scopes: ['ok', 'not ok'] })).toThrow(/not a valid scope/)
    expect(() => createKeyward({ tokenPrefx: 'x' } as never)).toThrow(/Unknown option "tokenPrefx"/)
  })
})
