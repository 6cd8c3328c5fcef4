/**
 * The contract every `KeywardStore` must pass, as a vitest suite: `@keyward/core/testing` for
 * authors of their own store, and what Keyward's SQLite and Postgres stores run against.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { KeywardStore, TokenRow } from './store.js'

let counter = 0
function row(overrides: Partial<TokenRow> = {}): TokenRow {
  counter++
  return {
    id: `id${String(counter).padStart(20, '0')}`,
    userId: 'user-1',
    name: `token ${counter}`,
    prefix: 'kw_id0000…',
    secretHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
    scopes: ['repo:read', 'repo:write'],
    expiresAt: null,
    lastUsedAt: null,
    createdAt: 1_700_000_000_000 + counter,
    revokedAt: null,
    revokedReason: null,
    metadata: null,
    description: null,
    ...overrides,
  }
}

/** A store under test, and optionally a second handle on the same tables (another process). */
export type ContractStore = {
  store: KeywardStore
  reopen?: () => KeywardStore | Promise<KeywardStore>
}

export type StoreContractOptions = {
  /**
   * Fail, rather than skip, the cases of the optional methods (`listTokenPage`, `deploymentKey`,
   * `countActiveTokens`) when the store lacks them. Default false.
   */
  requireOptional?: boolean
}

type OptionalMethod = 'listTokenPage' | 'deploymentKey' | 'countActiveTokens'

/**
 * Defines the contract's cases (in a `describe` named `store contract: <name>`). `create` gives a
 * fresh store on tables no other case uses, each time it is called; the suite runs `migrate()` on
 * it and closes every store it got after the file.
 */
export function storeContract(
  name: string,
  create: () => KeywardStore | ContractStore | Promise<KeywardStore | ContractStore>,
  options: StoreContractOptions = {},
): void {
  const opened: KeywardStore[] = []
  afterAll(async () => {
    await Promise.allSettled(opened.map((store) => store.close()))
  })
  const created = async (): Promise<ContractStore> => {
    const made = await create()
    const fresh: ContractStore =
      'store' in made && typeof made.store === 'object' ? made : { store: made as KeywardStore }
    opened.push(fresh.store)
    await fresh.store.migrate()
    const reopen = fresh.reopen
    if (reopen === undefined) return fresh
    return {
      store: fresh.store,
      reopen: async () => {
        const again = await reopen()
        opened.push(again)
        return again
      },
    }
  }
  /** True when the case is to be skipped: the store lacks an optional method (and may). */
  const lacks = (store: KeywardStore, method: OptionalMethod, context: { skip(): void }) => {
    if (typeof store[method] === 'function') return false
    if (options.requireOptional) throw new Error(`the store has no ${method}()`)
    context.skip()
    return true
  }

  describe(`store contract: ${name}`, () => {
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
      expect(
        await store.revokeToken(written.id, { revokedAt: 5, reason: null, userId: 'intruder' }),
      ).toBeNull()
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

    it('holds one deployment key: the same across calls and handles, another on other tables', async (context) => {
      const first = await created()
      if (lacks(first.store, 'deploymentKey', context)) return
      const key = await first.store.deploymentKey?.()
      // At least 32 bytes; Keyward's own stores create exactly 32.
      if (options.requireOptional) expect(key?.length).toBe(32)
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
  })
}
