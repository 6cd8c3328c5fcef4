import { expect, it } from 'vitest'
import { type ContractContext, row } from './store-contract-kit.js'

/** The contract for token rows: migrate, write, read, list, page and update (compare-and-set included). */
export function tokenRowCases({ created, lacks, defines }: ContractContext): void {
  it('migrate() is idempotent', async () => {
    const { store } = await created()
    await store.migrate()
    await Promise.all([store.migrate(), store.migrate()])
    expect(await store.findToken('nope')).toBeNull()
  })

  it('round-trips every column, with times as integer epoch milliseconds', async () => {
    const { store } = await created()
    const written = row({
      expiresAt: 4_102_444_800_123,
      lastUsedAt: 1_700_000_000_999,
      metadata: { team: 'infra', nested: { ok: true } },
      scopes: ['a:b', 'c'],
      description: 'Deploys from CI; ask #infra before revoking.',
    })
    await store.insertToken(written)
    expect(await store.findToken(written.id)).toEqual(written)
  })

  it('reads the same rows with a cancellation signal (the request path) as without', async () => {
    const { store } = await created()
    const signal = new AbortController().signal
    const full = row({ expiresAt: 4_102_444_800_123, lastUsedAt: 1, metadata: { a: [1] }, scopes: ['x'] })
    const bare = row({ expiresAt: null, revokedAt: 5, revokedReason: 'why', scopes: [], description: 'd' })
    for (const written of [full, bare]) {
      await store.insertToken(written)
      expect(await store.findToken(written.id, signal)).toEqual(written)
    }
    expect(await store.findToken('nope', signal)).toBeNull()
    await store.bumpSessionVersion('u', 1)
    expect(await store.getSessionVersion('u', signal)).toBe(1)
    expect(await store.getSessionVersion('v', signal)).toBe(0)
  })

  it('stores an empty scope list as an empty list', async () => {
    const { store } = await created()
    const written = row({ scopes: [] })
    await store.insertToken(written)
    expect((await store.findToken(written.id))?.scopes).toEqual([])
  })

  it('rejects a duplicate id', async () => {
    const { store } = await created()
    const written = row()
    await store.insertToken(written)
    await expect(store.insertToken(written)).rejects.toThrow()
  })

  it('lists a user’s tokens newest first, and only theirs', async () => {
    const { store } = await created()
    const older = row({ createdAt: 1000 })
    const newer = row({ createdAt: 2000 })
    await store.insertToken(older)
    await store.insertToken(newer)
    await store.insertToken(row({ userId: 'someone-else' }))
    expect((await store.listTokens('user-1')).map((r) => r.id)).toEqual([newer.id, older.id])
    expect(await store.listTokens('nobody')).toEqual([])
  })

  if (defines('listTokenPage'))
    it('pages a user’s tokens newest first by (created_at, id), ties included, with a status filter', async (context) => {
      const { store } = await created()
      if (lacks(store, 'listTokenPage', context)) return
      // Three share a creation time: the id breaks the tie, so no row is skipped or seen twice.
      const rows = [
        row({ createdAt: 100, id: 'a1' }),
        row({ createdAt: 200, id: 'b1' }),
        row({ createdAt: 200, id: 'b2' }),
        row({ createdAt: 200, id: 'b3' }),
        row({ createdAt: 300, id: 'c1', expiresAt: 1000 }),
        row({ createdAt: 400, id: 'd1', revokedAt: 450, revokedReason: null }),
        row({ createdAt: 500, id: 'e1', expiresAt: 2000 }),
        row({ createdAt: 600, id: 'x1', userId: 'someone-else' }),
      ]
      for (const r of rows) await store.insertToken(r)
      if (store.listTokenPage === undefined) throw new Error('the store has no listTokenPage()')
      const all: string[] = []
      let after: { createdAt: number; id: string } | undefined
      for (;;) {
        const page = await store.listTokenPage('user-1', { now: 1000, limit: 3, ...(after ? { after } : {}) })
        all.push(...page.map((r) => r.id))
        const last = page.at(-1)
        if (page.length < 3 || last === undefined) break
        after = { createdAt: last.createdAt, id: last.id }
      }
      expect(all).toEqual(['e1', 'd1', 'c1', 'b3', 'b2', 'b1', 'a1'])
      const ids = async (status: 'active' | 'expired' | 'revoked', now: number) =>
        (await store.listTokenPage?.('user-1', { now, limit: 100, status }))?.map((r) => r.id)
      expect(await ids('active', 1000)).toEqual(['e1', 'b3', 'b2', 'b1', 'a1'])
      expect(await ids('expired', 1000)).toEqual(['c1'])
      expect(await ids('revoked', 1000)).toEqual(['d1'])
      expect(await ids('active', 999)).toEqual(['e1', 'c1', 'b3', 'b2', 'b1', 'a1'])
      expect(
        (
          await store.listTokenPage('user-1', {
            now: 1000,
            limit: 2,
            status: 'active',
            after: { createdAt: 200, id: 'b2' },
          })
        ).map((r) => r.id),
      ).toEqual(['b1', 'a1'])
      expect(await store.listTokenPage('nobody', { now: 0, limit: 10 })).toEqual([])
    })

  it('updates selected columns and returns the row; null for an unknown id', async () => {
    const { store } = await created()
    const written = row()
    await store.insertToken(written)
    const updated = await store.updateToken(written.id, {
      expiresAt: 123,
      scopes: ['x'],
      secretHash: '$new',
    })
    expect(updated).toEqual({ ...written, expiresAt: 123, scopes: ['x'], secretHash: '$new' })
    expect(await store.updateToken('missing', { expiresAt: 1 })).toBeNull()
  })

  it('renames and sets or clears the description, leaving the rest as it was', async () => {
    const { store } = await created()
    const written = row({ expiresAt: 5000 })
    await store.insertToken(written)
    const described = await store.updateToken(written.id, { name: 'renamed', description: 'why' })
    expect(described).toEqual({ ...written, name: 'renamed', description: 'why' })
    expect(await store.updateToken(written.id, { description: null })).toEqual({
      ...written,
      name: 'renamed',
    })
    expect(await store.findToken(written.id)).toEqual({ ...written, name: 'renamed' })
  })

  it('updates only while the row matches an expectation (compare-and-set)', async () => {
    const { store } = await created()
    const written = row({ expiresAt: 5000 })
    await store.insertToken(written)
    expect(
      await store.updateToken(written.id, { expiresAt: 4000 }, { revokedAt: null, expiresAt: 6000 }),
    ).toBeNull()
    expect(
      await store.updateToken(written.id, { expiresAt: 4000 }, { revokedAt: null, expiresAt: 5000 }),
    ).toMatchObject({
      expiresAt: 4000,
    })
    const open = row()
    await store.insertToken(open)
    const revoke = { revokedAt: 7, revokedReason: 'rotated' }
    expect(await store.updateToken(open.id, revoke, { revokedAt: null, expiresAt: null })).toMatchObject(
      revoke,
    )
    expect(
      await store.updateToken(open.id, { revokedAt: 8 }, { revokedAt: null, expiresAt: null }),
    ).toBeNull()
  })

  it('compares the revocation reason too when the expectation names it (a rotation marker)', async () => {
    const { store } = await created()
    const written = row({ expiresAt: 5000 })
    await store.insertToken(written)
    const expected = { revokedAt: null, revokedReason: null, expiresAt: 5000 } as const
    // A rotation with a grace period marks the row and may leave its expiry as it was.
    const marked = await store.updateToken(written.id, { revokedReason: 'rotated' }, expected)
    expect(marked).toMatchObject({ revokedAt: null, revokedReason: 'rotated', expiresAt: 5000 })
    expect(await store.updateToken(written.id, { revokedReason: 'rotated' }, expected)).toBeNull()
    // Without revokedReason in the expectation, the reason is not compared.
    expect(
      await store.updateToken(written.id, { expiresAt: 4000 }, { revokedAt: null, expiresAt: 5000 }),
    ).toMatchObject({ expiresAt: 4000, revokedReason: 'rotated' })
  })
}
