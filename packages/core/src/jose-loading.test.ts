import { describe, expect, it, vi } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { sqliteBackend } from './testing/backends.js'

const loaded = vi.hoisted(() => ({ jose: false }))
vi.mock('jose', async (importOriginal) => {
  loaded.jose = true
  return importOriginal()
})

describe('jose', () => {
  const backend = sqliteBackend()
  it('is loaded only by an instance with session tokens', async () => {
    const options = {
      tokenPrefix: 'myapp',
      hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
      logger: { warn: () => {} },
    }
    const patsOnly = createKeyward({ ...options, store: (await backend.create()).store })
    const { token } = await patsOnly.tokens.create({ userId: 'u1', name: 'ci' })
    expect((await patsOnly.authenticate(`Bearer ${token}`)).ok).toBe(true)
    expect(await patsOnly.authenticate('Bearer a.b.c')).toMatchObject({ ok: false })
    expect(loaded.jose).toBe(false)
    await patsOnly.close()

    const withSessions = createKeyward({
      ...options,
      store: (await backend.create()).store,
      sessions: { secret: 'a-session-secret-of-at-least-32-bytes!!' },
    })
    const session = await withSessions.sessions.issue({ userId: 'u1' })
    expect(loaded.jose).toBe(true)
    expect((await withSessions.authenticate(`Bearer ${session.token}`)).ok).toBe(true)
    await withSessions.close()
  })
})
