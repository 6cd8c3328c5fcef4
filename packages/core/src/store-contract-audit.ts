import { expect, it } from 'vitest'
import type { AuditRow } from './store.js'
import { type ContractContext, row } from './store-contract-kit.js'

/** An audit row as Keyward appends it (the store assigns the id). */
function entry(overrides: Partial<Omit<AuditRow, 'id'>> = {}): Omit<AuditRow, 'id'> {
  return {
    at: 1000,
    action: 'token.created',
    actorKind: 'user',
    actorId: 'user-1',
    tokenId: 't1',
    userId: 'user-1',
    address: '192.0.2.1',
    userAgent: 'curl/8.5.0',
    detail: '{"scopes":["repo:read"]}',
    ...overrides,
  }
}

/** The contract for the audit log (append-only, paged newest first) and the expiry-warning claims. */
export function storeAuditCases({ created, lacks, defines }: ContractContext): void {
  if (defines('appendAudit') && defines('listAudit'))
    it('appends audit rows with ascending ids and pages them newest first, by user, token and action', async (context) => {
      const { store } = await created()
      if (lacks(store, 'appendAudit', context) || lacks(store, 'listAudit', context)) return
      await store.appendAudit?.([
        entry(),
        entry({ at: 1001, action: 'token.revoked', detail: null, address: null, userAgent: null }),
        entry({ at: 1002, tokenId: 't2', userId: 'user-2', actorKind: 'admin', actorId: null }),
      ])
      await store.appendAudit?.([entry({ at: 1003, tokenId: null, action: 'session.bumped' })])
      await store.appendAudit?.([])
      const all = (await store.listAudit?.({ limit: 10 })) ?? []
      expect(all.map((r) => [r.at, r.action])).toEqual([
        [1003, 'session.bumped'],
        [1002, 'token.created'],
        [1001, 'token.revoked'],
        [1000, 'token.created'],
      ])
      const ids = all.map((r) => r.id)
      expect(ids.every((id) => Number.isSafeInteger(id))).toBe(true)
      expect([...ids].sort((a, b) => b - a)).toEqual(ids)
      expect(new Set(ids).size).toBe(4)
      // Every column as written.
      expect(all[3]).toEqual({ id: ids[3], ...entry() })
      expect(all[2]).toMatchObject({ address: null, userAgent: null, detail: null })
      const page = async (query: Parameters<NonNullable<typeof store.listAudit>>[0]) =>
        ((await store.listAudit?.(query)) ?? []).map((r) => r.at)
      expect(await page({ limit: 2 })).toEqual([1003, 1002])
      expect(await page({ limit: 2, before: ids[1] })).toEqual([1001, 1000])
      expect(await page({ limit: 10, userId: 'user-1' })).toEqual([1003, 1001, 1000])
      expect(await page({ limit: 10, tokenId: 't1' })).toEqual([1001, 1000])
      expect(await page({ limit: 10, action: 'token.created' })).toEqual([1002, 1000])
      expect(await page({ limit: 10, userId: 'user-1', action: 'token.created' })).toEqual([1000])
      expect(await page({ limit: 10, userId: 'nobody' })).toEqual([])
    })

  if (defines('purgeAudit'))
    it('purges audit rows older than the cut-off, in batches, and nothing newer', async (context) => {
      const { store } = await created()
      if (lacks(store, 'appendAudit', context) || lacks(store, 'purgeAudit', context)) return
      await store.appendAudit?.([100, 200, 300, 999, 1000, 2000].map((at) => entry({ at })))
      expect(await store.purgeAudit?.({ before: 1000, limit: 3 })).toBe(3)
      expect(await store.purgeAudit?.({ before: 1000, limit: 3 })).toBe(1)
      expect(await store.purgeAudit?.({ before: 1000, limit: 3 })).toBe(0)
      expect((await store.listAudit?.({ limit: 10 }))?.map((r) => r.at)).toEqual([2000, 1000])
    })

  if (defines('claimExpiryWarnings'))
    it('claims each expiry warning once, across handles and concurrent calls', async (context) => {
      const { store, reopen } = await created()
      if (lacks(store, 'claimExpiryWarnings', context)) return
      const week = 7 * 86_400_000
      const day = 86_400_000
      expect(
        await store.claimExpiryWarnings?.(
          [
            { tokenId: 'a', windowMs: week },
            { tokenId: 'b', windowMs: week },
          ],
          10,
        ),
      ).toEqual(
        expect.arrayContaining([
          { tokenId: 'a', windowMs: week },
          { tokenId: 'b', windowMs: week },
        ]),
      )
      // Claimed before: nothing now. Another window of the same token is a claim of its own.
      expect(
        await store.claimExpiryWarnings?.(
          [
            { tokenId: 'a', windowMs: week },
            { tokenId: 'a', windowMs: day },
          ],
          20,
        ),
      ).toEqual([{ tokenId: 'a', windowMs: day }])
      expect(await store.claimExpiryWarnings?.([], 30)).toEqual([])
      // Many claimants of the same warnings at once (another process where the store has one):
      // each warning goes to exactly one of them.
      const other = reopen ? await reopen() : store
      const claims = Array.from({ length: 20 }, (_, i) => ({ tokenId: `c${i}`, windowMs: day }))
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? store : other).claimExpiryWarnings?.(claims, 40)),
      )
      const won = results.flatMap((claimed) => claimed ?? []).map((claim) => claim.tokenId)
      expect(won.sort()).toEqual(claims.map((claim) => claim.tokenId).sort())
    })

  if (defines('pruneExpiryWarnings'))
    it('prunes the expiry warnings of tokens no longer stored, and keeps the others', async (context) => {
      const { store } = await created()
      if (lacks(store, 'claimExpiryWarnings', context) || lacks(store, 'pruneExpiryWarnings', context)) return
      const kept = row()
      await store.insertToken(kept)
      const claims = [
        { tokenId: kept.id, windowMs: 1 },
        { tokenId: kept.id, windowMs: 2 },
        { tokenId: 'gone', windowMs: 1 },
      ]
      await store.claimExpiryWarnings?.(claims, 5)
      expect(await store.pruneExpiryWarnings?.()).toBe(1)
      expect(await store.pruneExpiryWarnings?.()).toBe(0)
      // The kept token's warnings are still claimed; the pruned one could be claimed again.
      expect(await store.claimExpiryWarnings?.(claims, 6)).toEqual([{ tokenId: 'gone', windowMs: 1 }])
    })
}
