import { describe, expect, it } from 'vitest'
import { argon2Hasher, sha256Hasher } from './hashing.js'

const SECRET = 'SENTINELsecret0000000000000000000000000000'

describe('argon2Hasher', () => {
  it('hashes with argon2id at the OWASP minimum by default, and verifies', async () => {
    const hasher = argon2Hasher()
    const stored = await hasher.hash(SECRET)
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/)
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
    const tampered = stored.replace('m=19456,p=1,t=2', 'm=4294967295,p=255,t=2147483647')
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
    for (const parameters of ['m=7,p=1,t=2', 'm=19456,p=1,t=0', 'm=19456,p=0,t=2', 'm=15,p=2,t=2']) {
      const tampered = stored.replace('m=19456,p=1,t=2', parameters)
      expect(tampered).not.toBe(stored)
      expect(hasher.accepts(tampered)).toBe(false)
      expect(await hasher.verify(tampered, SECRET)).toBe(false)
    }
  })

  it('returns false for garbage rather than throwing', async () => {
    const hasher = argon2Hasher()
    for (const junk of ['', 'plain', '$argon2i$v=19$m=19456,t=2,p=1$abc$def', '$sha256$xyz']) {
      expect(await hasher.verify(junk, SECRET)).toBe(false)
    }
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
