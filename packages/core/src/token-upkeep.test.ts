import { describe, expect, it } from 'vitest'
import { sha256Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import type { KeywardStore } from './store.js'
import { backends, manualClock } from './testing/backends.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const bearer = (token: string) => `Bearer ${token}`

/** Tokens across users for the operator (issue 23): those about to expire, and the purge. */
for (const backend of await backends()) {
  describe(`tokens.expiring() and tokens.purge() on ${backend.name}`, () => {
    async function setup(strip: ReadonlyArray<keyof KeywardStore> = []) {
      const created = await backend.create()
      // A custom store without some optional methods.
      const store = Object.fromEntries(
        Object.entries(created.store).filter(([key]) => !strip.includes(key as keyof KeywardStore)),
      ) as unknown as KeywardStore
      const clock = manualClock()
      const kw = createKeyward({ store, clock, hasher: sha256Hasher(), logger: { warn: () => {} } })
      return { kw, clock }
    }

    it('expiring() pages every user’s active tokens soonest first, within (now, now + within]', async () => {
      const { kw, clock } = await setup()
      const make = async (userId: string, expiresIn: `${number}h` | `${number}d`) =>
        (await kw.tokens.create({ userId, name: `${userId} ${expiresIn}`, expiresIn })).record
      const expiring = await make('u1', '1h')
      const soon = await make('u1', '2h')
      const edge = await make('u2', '7d') // expires exactly at now + 7d: included
      const later = await make('u1', '8d')
      const revoked = await make('u2', '1d')
      await kw.tokens.revoke(revoked.id)
      const tiedU1 = await make('u1', '3d')
      const tiedU2 = await make('u2', '3d')
      const pages = async (options: Parameters<typeof kw.tokens.expiring>[0]) => {
        const seen: string[] = []
        let cursor: string | null = null
        do {
          const page = await kw.tokens.expiring({ ...options, cursor })
          expect(page.tokens.length).toBeLessThanOrEqual(options.limit ?? 50)
          expect(page.tokens.every((r) => r.status === 'active')).toBe(true)
          seen.push(...page.tokens.map((r) => r.id))
          cursor = page.nextCursor
        } while (cursor !== null)
        return seen
      }
      const all = (await kw.tokens.expiring({ within: '7d' })).tokens.map((r) => r.id)
      expect(all).toHaveLength(5)
      expect(all.slice(0, 2)).toEqual([expiring.id, soon.id])
      // A tie on the expiry is broken by the id, in the store's order.
      expect(new Set(all.slice(2, 4))).toEqual(new Set([tiedU1.id, tiedU2.id]))
      expect(all[4]).toBe(edge.id)
      expect(await pages({ within: '7d', limit: 2 })).toEqual(all)
      expect(await pages({ within: '7d', limit: 1 })).toEqual(all)
      // An hour on, the first expires (at now exactly: no longer active) and the edge stays in.
      clock.advance(HOUR)
      expect(await pages({ within: '7d' })).toEqual(all.slice(1))
      expect(await pages({ within: '7d', userId: 'u1' })).toEqual([soon.id, tiedU1.id])
      expect(await pages({ within: '30d' })).toContain(later.id)
      expect(await pages({ within: '1h', userId: 'nobody' })).toEqual([])
      const page = await kw.tokens.expiring({ within: '7d', limit: 1 })
      expect(page.tokens[0]).toMatchObject({ id: soon.id, userId: 'u1', status: 'active' })
      expect(page.nextCursor).toEqual(expect.any(String))
      expect(page.tokens[0]).not.toHaveProperty('secretHash')
    })

    it('expiring() lists a token in its rotation grace period until the grace period ends', async () => {
      const { kw, clock } = await setup()
      const { record } = await kw.tokens.create({ userId: 'u1', name: 'ci', expiresIn: '30d' })
      const { record: successor } = await kw.tokens.rotate(record.id, { gracePeriod: '1h' })
      expect((await kw.tokens.expiring({ within: '2h' })).tokens.map((r) => r.id)).toEqual([record.id])
      clock.advance(HOUR)
      expect((await kw.tokens.expiring({ within: '2h' })).tokens).toEqual([])
      expect((await kw.tokens.expiring({ within: '30d' })).tokens.map((r) => r.id)).toEqual([successor.id])
    })

    it('expiring() refuses bad input as invalid_argument, reading nothing', async () => {
      const { kw } = await setup()
      await kw.tokens.create({ userId: 'u1', name: 'a', expiresIn: '1d' })
      await kw.tokens.create({ userId: 'u1', name: 'b', expiresIn: '2d' })
      const { nextCursor } = await kw.tokens.expiring({ within: '7d', limit: 1 })
      const { nextCursor: pageCursor } = await kw.tokens.page('u1', { limit: 1 })
      const refusals: Array<[unknown, RegExp]> = [
        [undefined, /object/],
        [{}, /within/],
        [{ within: 7 }, /within.*bare number/],
        [{ within: '30s' }, /within.*1 minute/],
        [{ within: '7 days' }, /within/],
        [{ within: '7d', limit: 0 }, /limit/],
        [{ within: '7d', limit: 101 }, /limit/],
        [{ within: '7d', cursor: `${nextCursor}x` }, /cursor/],
        [{ within: '7d', cursor: pageCursor }, /cursor/],
        [{ within: '7d', userId: undefined }, /userId/],
        [{ within: '7d', userId: '' }, /userId/],
        [{ within: '7d', user: 'u1' }, /Unknown expiring\(\) option "user"/],
      ]
      for (const [options, message] of refusals) {
        await expect(kw.tokens.expiring(options as never)).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringMatching(message),
        })
      }
    })

    it('expiring() over a store without listExpiringTokens: one user paged in memory, every user unsupported', async () => {
      const { kw } = await setup(['listExpiringTokens'])
      const a = await kw.tokens.create({ userId: 'u1', name: 'a', expiresIn: '2d' })
      const b = await kw.tokens.create({ userId: 'u1', name: 'b', expiresIn: '1d' })
      await kw.tokens.create({ userId: 'u2', name: 'c', expiresIn: '1d' })
      const first = await kw.tokens.expiring({ within: '7d', userId: 'u1', limit: 1 })
      const second = await kw.tokens.expiring({ within: '7d', userId: 'u1', cursor: first.nextCursor })
      expect([...first.tokens, ...second.tokens].map((r) => r.id)).toEqual([b.record.id, a.record.id])
      expect(second.nextCursor).toBeNull()
      await expect(kw.tokens.expiring({ within: '7d' })).rejects.toMatchObject({
        code: 'unsupported',
        message: expect.stringMatching(/listExpiringTokens/),
      })
    })

    it('purge() deletes, in batches after a count, tokens revoked or expired before the cut-off; never an active one', async () => {
      const { kw, clock } = await setup()
      const make = async (name: string, expiresIn: `${number}d` = '30d') =>
        (await kw.tokens.create({ userId: name.startsWith('x') ? 'u2' : 'u1', name, expiresIn })).record
      const oldRevoked = await Promise.all(['r1', 'r2', 'xr3'].map((name) => make(name)))
      for (const record of oldRevoked) await kw.tokens.revoke(record.id)
      const oldExpired = await Promise.all(['e1', 'xe2'].map((name) => make(name, '1d')))
      const rotated = await make('rotated', '90d')
      clock.advance(10 * DAY)
      const recentRevoked = await make('recent')
      await kw.tokens.revoke(recentRevoked.id)
      // A rotation with a grace period: the old token stays usable until it ends.
      const { token: successorToken, previous } = await kw.tokens.rotate(rotated.id, { gracePeriod: '2d' })
      const active = await make('active')
      clock.advance(DAY)
      const graceToken = previous.id

      const counted = await kw.tokens.purge({ olderThan: '7d', dryRun: true })
      expect(counted).toEqual({ purged: 5, before: new Date(clock.now() - 7 * DAY) })
      expect(await kw.tokens.get(oldRevoked[0]?.id ?? '')).not.toBeNull()

      const progress: Array<[number, number]> = []
      const purged = await kw.tokens.purge({
        olderThan: '7d',
        batchSize: 2,
        onProgress: (done, total) => progress.push([done, total]),
      })
      expect(purged.purged).toBe(5)
      expect(progress).toEqual([
        [0, 5],
        [2, 5],
        [4, 5],
        [5, 5],
      ])
      for (const record of [...oldRevoked, ...oldExpired]) expect(await kw.tokens.get(record.id)).toBeNull()
      for (const id of [recentRevoked.id, graceToken, active.id])
        expect(await kw.tokens.get(id)).not.toBeNull()
      expect((await kw.authenticate(bearer(successorToken))).ok).toBe(true)
      expect(await kw.tokens.purge({ olderThan: '7d' })).toMatchObject({ purged: 0 })

      // The grace period ended two days ago: the old token goes once that is more than `olderThan` past.
      clock.advance(3 * DAY)
      expect((await kw.tokens.purge({ olderThan: '1d' })).purged).toBe(2)
      expect(await kw.tokens.get(graceToken)).toBeNull()
      expect(await kw.tokens.get(recentRevoked.id)).toBeNull()
      expect(await kw.tokens.get(active.id)).toMatchObject({ status: 'active' })
    })

    it('purge() refuses bad input as invalid_argument, and a store without the methods as unsupported', async () => {
      const { kw, clock } = await setup()
      const { record } = await kw.tokens.create({ userId: 'u1', name: 'a', expiresIn: '1d' })
      await kw.tokens.revoke(record.id)
      clock.advance(30 * DAY)
      const refusals: Array<[unknown, RegExp]> = [
        [undefined, /object/],
        [{}, /olderThan/],
        [{ olderThan: '12h' }, /at least 1 day/],
        [{ olderThan: 86_400_000 }, /bare number/],
        [{ olderThan: '7d', dryRun: 'yes' }, /dryRun/],
        [{ olderThan: '7d', onProgress: 5 }, /onProgress/],
        [{ olderThan: '7d', batchSize: 0 }, /batchSize/],
        [{ olderThan: '7d', batchSize: 10_001 }, /batchSize/],
        [{ olderThan: '7d', dry: true }, /Unknown purge\(\) option "dry"/],
      ]
      for (const [options, message] of refusals) {
        await expect(kw.tokens.purge(options as never)).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringMatching(message),
        })
      }
      expect(await kw.tokens.get(record.id)).not.toBeNull()
      const { kw: custom } = await setup(['purgeTokens'])
      await expect(custom.tokens.purge({ olderThan: '7d' })).rejects.toMatchObject({
        code: 'unsupported',
        message: expect.stringMatching(/purgeTokens/),
      })
    })
  })
}
