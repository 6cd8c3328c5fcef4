import { afterEach, describe, expect, it } from 'vitest'
import type { KeywardEvent } from './events.js'
import { sha256Hasher } from './hashing.js'
import { createKeyward, type Keyward } from './keyward.js'
import type { KeywardStore } from './store.js'
import { backends, manualClock } from './testing/backends.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** Expiry warnings (issue 24): each token warned once per window, across processes and restarts. */
for (const backend of await backends()) {
  describe(`tokens.warnExpiring() on ${backend.name}`, () => {
    const instances: Keyward[] = []
    afterEach(async () => {
      await Promise.all(instances.splice(0).map((kw) => kw.close()))
    })
    const open = (store: KeywardStore, clock = manualClock()) => {
      const kw = createKeyward({
        store,
        clock,
        hasher: sha256Hasher(),
        logger: { warn: () => {} },
        audit: true,
      })
      instances.push(kw)
      return kw
    }
    async function setup() {
      const created = await backend.create()
      const clock = manualClock()
      return {
        kw: open(created.store, clock),
        store: created.store,
        clock,
        another: async () => open(await created.reopen(), clock),
      }
    }
    const names = (result: Awaited<ReturnType<Keyward['tokens']['warnExpiring']>>) =>
      result.warned.map(({ token, window }) => `${token.name}@${window}`).sort()

    it('warns at 7d, then again at 1d, each once; a token within both is warned for the smaller only', async () => {
      const { kw, clock } = await setup()
      const seen: Array<KeywardEvent<'token.expiring'>> = []
      kw.events.on('token.expiring', (event) => void seen.push(event))
      const make = async (name: string, expiresIn: `${number}h` | `${number}d`, userId = 'ada') =>
        kw.tokens.create({ userId, name, expiresIn })
      await make('soon', '12h')
      await make('three', '3d')
      await make('later', '9d', 'bob')
      const revoked = await make('revoked', '2d')
      await kw.tokens.revoke(revoked.record.id)
      const windows = ['7d', '1d'] as const
      expect(names(await kw.tokens.warnExpiring({ windows: [...windows] }))).toEqual(['soon@1d', 'three@7d'])
      expect(seen.map((event) => [event.token.name, event.window, event.actor.kind])).toEqual([
        ['soon', '1d', 'system'],
        ['three', '7d', 'system'],
      ])
      // Run again (a timer, a cron job): nothing new.
      expect(names(await kw.tokens.warnExpiring({ windows: [...windows] }))).toEqual([])
      clock.advance(60 * HOUR) // `three` now expires within a day, `later` within 7; `soon` is gone
      expect(names(await kw.tokens.warnExpiring({ windows: ['1d', '7d'] }))).toEqual(['later@7d', 'three@1d'])
      expect(names(await kw.tokens.warnExpiring({ windows: [...windows] }))).toEqual([])
      expect(seen).toHaveLength(4)
      // Each warning is in the audit log, by the system.
      const audited = (await kw.audit.page({ action: 'token.expiring' })).entries
      expect(audited.map((entry) => entry.detail?.window).sort()).toEqual(['1d', '1d', '7d', '7d'])
      // Of one user only.
      await make('ada-soon', '1h')
      await make('bob-soon', '1h', 'bob')
      expect(names(await kw.tokens.warnExpiring({ windows: ['1d'], userId: 'bob' }))).toEqual(['bob-soon@1d'])
    })

    it('several processes at once, and a restart, warn each token once per window', async () => {
      const { kw, another } = await setup()
      for (let i = 0; i < 24; i++)
        await kw.tokens.create({ userId: `u${i % 3}`, name: `t${i}`, expiresIn: `${i + 1}h` })
      const others = [await another(), await another()]
      const runs = await Promise.all(
        [kw, ...others, kw, ...others].map((instance) =>
          instance.tokens.warnExpiring({ windows: ['1d', '12h'] }),
        ),
      )
      const warned = runs.flatMap(names)
      expect(warned).toHaveLength(24)
      expect(new Set(warned).size).toBe(24)
      expect(warned.filter((name) => name.endsWith('@12h'))).toHaveLength(12)
      // A restart: a new instance on the same tables finds everything claimed.
      const restarted = await another()
      expect((await restarted.tokens.warnExpiring({ windows: ['1d', '12h'] })).warned).toEqual([])
    })

    it('the purge takes the warnings of the tokens it deletes', async () => {
      const { kw, clock, store } = await setup()
      const { record } = await kw.tokens.create({ userId: 'ada', name: 'short', expiresIn: '1h' })
      const kept = await kw.tokens.create({ userId: 'ada', name: 'kept', expiresIn: '4d' })
      expect((await kw.tokens.warnExpiring({ windows: ['1d', '7d'] })).warned).toHaveLength(2)
      clock.advance(3 * DAY)
      expect((await kw.tokens.purge({ olderThan: '1d' })).purged).toBe(1)
      expect(await kw.tokens.get(record.id)).toBeNull()
      // The purged token's claims are gone (claimable again); the kept token's stay.
      const claims = [DAY, 7 * DAY].flatMap((windowMs) => [
        { tokenId: record.id, windowMs },
        { tokenId: kept.record.id, windowMs },
      ])
      expect(await store.claimExpiryWarnings?.(claims, clock.now())).toEqual(
        expect.arrayContaining([
          { tokenId: record.id, windowMs: DAY },
          { tokenId: record.id, windowMs: 7 * DAY },
        ]),
      )
      expect(await store.claimExpiryWarnings?.(claims, clock.now())).toEqual([])
    })

    it('refuses bad options precisely, and a store without the claims', async () => {
      const { kw } = await setup()
      const refusals: Array<[unknown, RegExp]> = [
        [{ windows: [] }, /windows must be an array of 1 to 10/],
        [{ windows: '7d' }, /windows must be an array/],
        [{ windows: ['7d', '168h'] }, /must all differ/],
        [{ windows: ['30s'] }, /at least 1 minute/],
        [{ windows: [7] }, /not a bare number/],
        [{ windows: ['7d'], userId: '' }, /userId/],
        [{ windows: ['7d'], every: 1 }, /Unknown warnExpiring\(\) option "every"/],
        [{ windows: ['7d'], actor: { kind: 'bot' } }, /actor.kind/],
      ]
      for (const [options, message] of refusals) {
        await expect(kw.tokens.warnExpiring(options as never)).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringMatching(message),
        })
      }
      const { claimExpiryWarnings: _, ...without } = (await backend.create()).store
      const bare = open(without as KeywardStore)
      await expect(bare.tokens.warnExpiring({ windows: ['7d'] })).rejects.toMatchObject({
        code: 'unsupported',
        message: expect.stringMatching(/claimExpiryWarnings/),
      })
    })
  })
}
