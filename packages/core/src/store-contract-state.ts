import { expect, it } from 'vitest'
import { type ContractContext, row } from './store-contract-kit.js'

/** The contract for revocation, last use, session versions, the deployment key, counts and close. */
export function storeStateCases({ created, lacks, defines, requireOptional }: ContractContext): void {
  it('revokes once: the first revocation time and reason win', async () => {
    const { store } = await created()
    const written = row()
    await store.insertToken(written)
    const first = await store.revokeToken(written.id, { revokedAt: 10, reason: 'leaked' })
    const second = await store.revokeToken(written.id, { revokedAt: 20, reason: 'again' })
    expect(first).toMatchObject({ revokedAt: 10, revokedReason: 'leaked' })
    expect(second).toMatchObject({ revokedAt: 10, revokedReason: 'leaked' })
    expect(await store.revokeToken('missing', { revokedAt: 1, reason: null })).toBeNull()
  })

  it('revokes only a token the given user owns', async () => {
    const { store } = await created()
    const written = row()
    await store.insertToken(written)
    expect(await store.revokeToken(written.id, { revokedAt: 5, reason: null, userId: 'intruder' })).toBeNull()
    expect((await store.findToken(written.id))?.revokedAt).toBeNull()
    expect(
      await store.revokeToken(written.id, { revokedAt: 5, reason: null, userId: 'user-1' }),
    ).toMatchObject({
      revokedAt: 5,
    })
  })

  it('revokes all of a user’s active tokens and returns their ids', async () => {
    const { store } = await created()
    const a = row()
    const b = row()
    const already = row({ revokedAt: 1, revokedReason: 'old' })
    const other = row({ userId: 'user-2' })
    for (const r of [a, b, already, other]) await store.insertToken(r)
    const ids = await store.revokeUserTokens('user-1', { revokedAt: 50, reason: 'password changed' })
    expect(ids.sort()).toEqual([a.id, b.id].sort())
    expect(await store.findToken(already.id)).toMatchObject({ revokedAt: 1, revokedReason: 'old' })
    expect((await store.findToken(other.id))?.revokedAt).toBeNull()
  })

  it('touches last-used in one batch, never moving a time backwards', async () => {
    const { store } = await created()
    const a = row({ lastUsedAt: 500 })
    const b = row()
    await store.insertToken(a)
    await store.insertToken(b)
    const written = await store.touchTokens([
      { id: a.id, at: 400 },
      { id: b.id, at: 300 },
      { id: b.id, at: 900 },
      { id: 'missing', at: 1 },
    ])
    expect(written).toBe(1)
    expect((await store.findToken(a.id))?.lastUsedAt).toBe(500)
    expect((await store.findToken(b.id))?.lastUsedAt).toBe(900)
    expect(await store.touchTokens([])).toBe(0)
  })

  it('keeps a session version per user: 0 at first, bumped atomically', async () => {
    const { store } = await created()
    expect(await store.getSessionVersion('u')).toBe(0)
    expect(await store.bumpSessionVersion('u', 1)).toBe(1)
    const bumps = await Promise.all(Array.from({ length: 10 }, (_, i) => store.bumpSessionVersion('u', i)))
    expect(bumps.sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(await store.getSessionVersion('u')).toBe(11)
    expect(await store.getSessionVersion('v')).toBe(0)
  })

  if (defines('deploymentKey'))
    it('holds one deployment key: the same across calls and handles, another on other tables', async (context) => {
      const first = await created()
      if (lacks(first.store, 'deploymentKey', context)) return
      const key = await first.store.deploymentKey?.()
      // At least 32 bytes; Keyward's own stores create exactly 32.
      if (requireOptional) expect(key?.length).toBe(32)
      else expect(key?.length).toBeGreaterThanOrEqual(32)
      expect(await first.store.deploymentKey?.()).toEqual(key)
      // Without a second handle, the same one stands in for another process.
      const again = first.reopen ? await first.reopen() : first.store
      expect(await again.deploymentKey?.()).toEqual(key)
      // A second migrate() (another process starting) keeps the key.
      await again.migrate()
      expect(await first.store.deploymentKey?.()).toEqual(key)
      const other = await created()
      expect(await other.store.deploymentKey?.()).not.toEqual(key)
    })

  if (defines('countActiveTokens'))
    it('counts a user’s active tokens: neither revoked nor expired', async (context) => {
      const { store } = await created()
      if (lacks(store, 'countActiveTokens', context)) return
      for (const r of [
        row(),
        row({ expiresAt: 2000 }),
        row({ expiresAt: 1000 }),
        row({ revokedAt: 1, revokedReason: null }),
        row({ userId: 'user-2' }),
      ])
        await store.insertToken(r)
      expect(await store.countActiveTokens?.('user-1', 1000)).toBe(2)
      expect(await store.countActiveTokens?.('user-1', 999)).toBe(3)
      expect(await store.countActiveTokens?.('nobody', 0)).toBe(0)
    })

  it('fails every call after close()', async () => {
    const { store } = await created()
    await store.close()
    await expect(store.findToken('x')).rejects.toThrow(/closed/)
  })
}
