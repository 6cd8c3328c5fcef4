import { describe, expect, it } from 'vitest'
import { sha256Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { sqliteStore } from './sqlite.js'

const DAY = 86_400_000

/**
 * A token's lifetime runs from its `createdAt`: the expiry and the creation time are one instant,
 * however long hashing and the store take in between (seen: a CLI-made token expired ~100 ms
 * before createdAt + its lifetime, the argon2 time).
 */
describe('createdAt and expiresAt of a new token', () => {
  async function setup() {
    const store = sqliteStore({ path: ':memory:' })
    await store.migrate()
    let now = Date.UTC(2026, 0, 1)
    // Each reading of the clock is 100 ms later, as a slow hash or store makes it.
    const clock = { now: () => (now += 100) }
    return createKeyward({ store, clock, hasher: sha256Hasher(), logger: { warn: () => {} } })
  }

  it('create(): expiresAt is createdAt plus expiresIn, to the millisecond', async () => {
    const kw = await setup()
    const { record } = await kw.tokens.create({ userId: 'u1', name: 'ci', expiresIn: '30d' })
    expect(record.expiresAt?.getTime()).toBe(record.createdAt.getTime() + 30 * DAY)
    await kw.close()
  })

  it('rotate(): the new token keeps the lifetime, counted from its own createdAt', async () => {
    const kw = await setup()
    const { record } = await kw.tokens.create({ userId: 'u1', name: 'ci', expiresIn: '30d' })
    const { record: next } = await kw.tokens.rotate(record.id)
    expect(next.expiresAt?.getTime()).toBe(next.createdAt.getTime() + 30 * DAY)
    await kw.close()
  })
})
