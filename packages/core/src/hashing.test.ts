import { describe, expect, it } from 'vitest'
import { argon2Hasher, sha256Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { sqliteBackend } from './testing/backends.js'

const SECRET = 'SENTINELsecret0000000000000000000000000000'

describe('argon2Hasher', () => {
  it('hashes with argon2id at the OWASP minimum by default, and verifies', async () => {
    const hasher = argon2Hasher()
    const stored = await hasher.hash(SECRET)
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(stored).not.toContain(SECRET)
    expect(await hasher.verify(stored, SECRET)).toBe(true)
    expect(await hasher.verify(stored, `${SECRET}x`)).toBe(false)
    expect(hasher.needsRehash(stored)).toBe(false)
  })

  it('asks for a rehash after a parameter bump, and still verifies the old hash', async () => {
    const old = await argon2Hasher({ memoryCost: 8192, timeCost: 1 }).hash(SECRET)
    const bumped = argon2Hasher({ memoryCost: 9216, timeCost: 2 })
    expect(bumped.needsRehash(old)).toBe(true)
    expect(await bumped.verify(old, SECRET)).toBe(true)
  })

  it('refuses a stored hash above the pinned parameters without running argon2', async () => {
    const hasher = argon2Hasher()
    const stored = await hasher.hash(SECRET)
    // 4 TiB and 2^31 passes: running this would never finish, so a prompt `false` proves it was not run.
    const tampered = stored.replace('m=19456,t=2,p=1', 'm=4294967295,t=2147483647,p=255')
    expect(tampered).not.toBe(stored)
    expect(hasher.accepts(tampered)).toBe(false)
    expect(await hasher.verify(tampered, SECRET)).toBe(false)
  })

  it('accepts higher stored parameters only up to maxParameters', async () => {
    const strong = await argon2Hasher({ memoryCost: 20480 }).hash(SECRET)
    expect(argon2Hasher().accepts(strong)).toBe(false)
    expect(argon2Hasher({ maxParameters: { memoryCost: 20480 } }).accepts(strong)).toBe(true)
    expect(() => argon2Hasher({ memoryCost: 100 })).toThrow(/memoryCost/)
  })

  it('refuses parameters below what argon2 itself can run, without running it', async () => {
    const hasher = argon2Hasher()
    const stored = await hasher.hash(SECRET)
    for (const parameters of ['m=7,t=2,p=1', 'm=19456,t=0,p=1', 'm=19456,t=2,p=0', 'm=15,t=2,p=2']) {
      const tampered = stored.replace('m=19456,t=2,p=1', parameters)
      expect(tampered).not.toBe(stored)
      expect(hasher.accepts(tampered)).toBe(false)
      expect(await hasher.verify(tampered, SECRET)).toBe(false)
    }
  })

  it('writes the PHC order m,t,p; verifies the old order p,t too, and asks to rewrite it', async () => {
    const hasher = argon2Hasher({ memoryCost: 1024, timeCost: 1 })
    const stored = await hasher.hash(SECRET)
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
    // What the argon2 package writes, and what Keyward stored before.
    const old = stored.replace('m=1024,t=1,p=1', 'm=1024,p=1,t=1')
    expect(hasher.accepts(old)).toBe(true)
    expect(await hasher.verify(old, SECRET)).toBe(true)
    expect(hasher.needsRehash(old)).toBe(true)
    expect(hasher.needsRehash(stored)).toBe(false)
    expect(await hasher.verify(old, `${SECRET}x`)).toBe(false)
  })

  it('returns false for garbage rather than throwing', async () => {
    const hasher = argon2Hasher()
    for (const junk of ['', 'plain', '$argon2i$v=19$m=19456,t=2,p=1$abc$def', '$sha256$xyz']) {
      expect(await hasher.verify(junk, SECRET)).toBe(false)
    }
  })
})

describe('argon2 hashes stored in the old parameter order', () => {
  const backend = sqliteBackend()
  it('are rewritten in PHC order after one successful authenticate', async () => {
    const { store } = await backend.create()
    const kw = createKeyward({ store, hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }) })
    const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'a' })
    const written = (await store.findToken(record.id))?.secretHash ?? ''
    const old = written.replace(/\$m=[^$]*\$/, '$m=1024,p=1,t=1$')
    await store.updateToken(record.id, { secretHash: old })
    const fresh = createKeyward({ store, hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }) })
    expect((await fresh.authenticate(`Bearer ${token}`)).ok).toBe(true)
    await fresh.flush()
    expect(fresh.stats().rehashes).toBe(1)
    expect((await store.findToken(record.id))?.secretHash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
    expect((await fresh.authenticate(`Bearer ${token}`)).ok).toBe(true)
  })
})

describe('sha256Hasher', () => {
  it('hashes and verifies in constant time, and refuses foreign formats', async () => {
    const hasher = sha256Hasher()
    const stored = await hasher.hash(SECRET)
    expect(stored).toMatch(/^\$sha256\$[A-Za-z0-9+/]{43}=$/)
    expect(await hasher.verify(stored, SECRET)).toBe(true)
    expect(await hasher.verify(stored, 'other')).toBe(false)
    expect(await hasher.verify('$sha256$!!!!', SECRET)).toBe(false)
    expect(hasher.needsRehash(stored)).toBe(false)
  })
})
