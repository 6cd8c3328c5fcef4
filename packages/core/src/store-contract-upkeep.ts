import { expect, it } from 'vitest'
import type { ExpiringTokenQuery } from './store.js'
import { type ContractContext, row } from './store-contract-kit.js'

/** The contract for the operator's methods: tokens about to expire, the purge, and the migrations' status. */
export function storeUpkeepCases({ created, fresh, lacks, defines, requireOptional }: ContractContext): void {
  if (defines('listExpiringTokens'))
    it('pages active tokens about to expire, of every user or one, soonest first by (expires_at, id)', async (context) => {
      const { store } = await created()
      if (lacks(store, 'listExpiringTokens', context)) return
      const soonest = row({ id: 'c1', expiresAt: 1200, metadata: { team: 'infra' }, description: 'd' })
      for (const r of [
        soonest,
        row({ id: 'a1', expiresAt: 1500 }),
        row({ id: 'a2', expiresAt: 1500, userId: 'user-2' }),
        row({ id: 'd1', expiresAt: 1000 }), // expires at `now`: already expired
        row({ id: 'e1', expiresAt: 2000 }), // at `until`: included
        row({ id: 'f1', expiresAt: 2001 }),
        row({ id: 'g1', expiresAt: 1300, revokedAt: 5, revokedReason: 'leaked' }),
        // In a rotation's grace period: unrevoked, still usable, expiring when the grace period ends.
        row({ id: 'h1', expiresAt: 1400, revokedReason: 'rotated', userId: 'user-2' }),
        row({ id: 'i1', expiresAt: null }),
      ])
        await store.insertToken(r)
      const ids = async (query: Partial<ExpiringTokenQuery>) =>
        (await store.listExpiringTokens?.({ now: 1000, until: 2000, limit: 100, ...query }))?.map((r) => r.id)
      expect(await ids({})).toEqual(['c1', 'h1', 'a1', 'a2', 'e1'])
      expect(await ids({ limit: 2 })).toEqual(['c1', 'h1'])
      expect(await ids({ limit: 2, after: { expiresAt: 1400, id: 'h1' } })).toEqual(['a1', 'a2'])
      expect(await ids({ limit: 2, after: { expiresAt: 1500, id: 'a1' } })).toEqual(['a2', 'e1'])
      expect(await ids({ after: { expiresAt: 2000, id: 'e1' } })).toEqual([])
      expect(await ids({ userId: 'user-1' })).toEqual(['c1', 'a1', 'e1'])
      expect(await ids({ userId: 'user-2', until: 1499 })).toEqual(['h1'])
      expect(await ids({ userId: 'nobody' })).toEqual([])
      // Whole rows, every column as written.
      const [first] = (await store.listExpiringTokens?.({ now: 1000, until: 2000, limit: 1 })) ?? []
      expect(first).toEqual(soonest)
    })

  if (defines('purgeTokens'))
    it('counts, then deletes in batches, the tokens revoked or expired before the cut-off, and nothing else', async (context) => {
      const { store } = await created()
      if (lacks(store, 'countPurgeableTokens', context) || lacks(store, 'purgeTokens', context)) return
      const gone = [
        row({ revokedAt: 100, revokedReason: 'leaked' }),
        row({ expiresAt: 500 }),
        row({ revokedAt: 999, revokedReason: null, expiresAt: 5000 }),
        row({ revokedAt: 10, revokedReason: null, userId: 'user-2' }),
      ]
      const kept = [
        row({ revokedAt: 1000, revokedReason: null }), // revoked at the cut-off, not before it
        row({ expiresAt: 1000 }),
        row({ expiresAt: null }),
        row({ expiresAt: 3000 }),
        // In a rotation's grace period: unrevoked, expiring when the grace period ends.
        row({ expiresAt: 5000, revokedReason: 'rotated' }),
      ]
      for (const r of [...gone, ...kept]) await store.insertToken(r)
      const query = { before: 1000 }
      expect(await store.countPurgeableTokens?.(query)).toBe(4)
      expect(await store.purgeTokens?.({ ...query, limit: 3 })).toBe(3)
      expect(await store.purgeTokens?.({ ...query, limit: 3 })).toBe(1)
      expect(await store.purgeTokens?.({ ...query, limit: 3 })).toBe(0)
      expect(await store.countPurgeableTokens?.(query)).toBe(0)
      for (const r of gone) expect(await store.findToken(r.id)).toBeNull()
      for (const r of kept) expect(await store.findToken(r.id)).toEqual(r)
    })

  if (defines('migrationStatus'))
    it('reports its migrations without changing anything, and migrate() counts the statements it runs', async (context) => {
      const { store } = await fresh()
      if (lacks(store, 'migrationStatus', context)) return
      const before = await store.migrationStatus?.()
      if (before === undefined) throw new Error('the store has no migrationStatus()')
      expect(before.dialect).toBe(store.dialect)
      expect(before.current).toBe(before.pending.length === 0)
      expect(before.applied).toEqual([...before.applied].sort((a, b) => a - b))
      const pendingVersions = before.pending.map((migration) => migration.version)
      expect(pendingVersions.filter((version) => before.applied.includes(version))).toEqual([])
      expect(await store.migrationStatus?.()).toEqual(before)

      const progress: Array<[number, number]> = []
      await store.migrate({ onProgress: (done, total) => progress.push([done, total]) })
      const total = before.pending.reduce((sum, migration) => sum + migration.statements.length, 0)
      // Reporting progress is optional for a custom store; Keyward's own stores report every statement.
      if (requireOptional || progress.length > 0) {
        expect(progress).toEqual(Array.from({ length: total + 1 }, (_, done) => [done, total]))
      }
      const after = await store.migrationStatus?.()
      expect(after).toMatchObject({ dialect: store.dialect, pending: [], current: true })
      expect(after?.applied).toEqual(
        [...new Set([...before.applied, ...pendingVersions])].sort((a, b) => a - b),
      )
    })
}
