import { describe, expect, it } from 'vitest'
import type { KeywardEvent } from './events.js'
import { sha256Hasher } from './hashing.js'
import { createKeyward, type Keyward } from './keyward.js'
import type { KeywardStore } from './store.js'
import { manualClock, sqliteBackend } from './testing/backends.js'

const bearer = (token: string) => `Bearer ${token}`
const backend = sqliteBackend()

/**
 * Revoking every token of a user reads their records for the `token.revoked` events (the audit log,
 * a listener). That read must not stand between the revocation's commit and its propagation: a
 * store that fails it must never leave revoked tokens in the caches.
 */
async function setup(failFrom: 'now' | 'the commit') {
  const { store } = await backend.create()
  let failing = false
  const flaky: KeywardStore = {
    ...store,
    listTokens: async (userId) => {
      if (failing) throw new Error('connection reset')
      return store.listTokens(userId)
    },
    revokeUserTokens: async (userId, options) => {
      const ids = await store.revokeUserTokens(userId, options)
      if (failFrom === 'the commit') failing = true
      return ids
    },
  }
  const kw = createKeyward({
    store: flaky,
    clock: manualClock(),
    hasher: sha256Hasher(),
    logger: { warn: () => {} },
    audit: true,
  })
  const seen: KeywardEvent[] = []
  kw.events.on('token.revoked', (event) => void seen.push(event))
  const { token, record } = await kw.tokens.create({ userId: 'ada', name: 'ci' })
  // Cached by this process from now on.
  expect((await kw.authenticate(bearer(token))).ok).toBe(true)
  if (failFrom === 'now') failing = true
  return { kw, token, record, seen }
}

const calls = [
  ['tokens.revokeAll', (kw: Keyward) => kw.tokens.revokeAll('ada')],
  ['users.revokeAll', (kw: Keyward) => kw.users.revokeAll('ada')],
] as const

describe('revoking every token of a user when the store fails a read', () => {
  for (const [name, revokeAll] of calls) {
    it(`${name}: a read that fails before the revocation changes nothing`, async () => {
      const { kw, token, record, seen } = await setup('now')
      await expect(revokeAll(kw)).rejects.toMatchObject({ code: 'store_error' })
      expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'active' })
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      expect(seen).toEqual([])
      await kw.close()
    })

    it(`${name}: no read after the commit, so the tokens leave the caches and the events fire`, async () => {
      const { kw, token, record, seen } = await setup('the commit')
      await revokeAll(kw)
      expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'revoked' })
      expect((await kw.authenticate(bearer(token))).ok).toBe(false)
      expect(seen).toEqual([
        expect.objectContaining({
          type: 'token.revoked',
          token: expect.objectContaining({ id: record.id, status: 'revoked' }),
        }),
      ])
      const audited = await kw.audit.page({ tokenId: record.id, action: 'token.revoked' })
      expect(audited.entries).toHaveLength(1)
      await kw.close()
    })
  }
})
