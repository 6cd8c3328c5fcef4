import { afterEach, describe, expect, it, vi } from 'vitest'
import { EVENT_TYPES, type KeywardEvent, type KeywardEventType } from './events.js'
import { sha256Hasher } from './hashing.js'
import { createKeyward, type Keyward, type KeywardOptions } from './keyward.js'
import { sqliteStore } from './sqlite.js'
import type { KeywardStore } from './store.js'
import { backends, manualClock } from './testing/backends.js'

const bearer = (token: string) => `Bearer ${token}`
const SECRET = 'a-session-secret-of-at-least-32-bytes!!'
const ADMIN = { kind: 'admin', id: null, address: null, userAgent: null }

/** Every event of the given types, in order, as the listeners got them. */
function record(kw: Keyward, types: readonly KeywardEventType[]) {
  const seen: KeywardEvent[] = []
  for (const type of types) kw.events.on(type, (event) => void seen.push(event))
  return seen
}

/** Every management event: all but the aggregated `auth.failures`. */
const ALL = EVENT_TYPES.filter((type) => type !== 'auth.failures')

afterEach(() => {
  vi.useRealTimers()
})

/** Events (issue 24): fired once, after the store commit, with the actor; never on failure. */
for (const backend of await backends()) {
  describe(`events on ${backend.name}`, () => {
    const instances: Keyward[] = []
    afterEach(async () => {
      await Promise.all(instances.splice(0).map((kw) => kw.close()))
    })
    async function setup(options: Omit<KeywardOptions, 'store'> & { store?: KeywardStore } = {}) {
      const created = await backend.create()
      const clock = manualClock()
      const warnings: string[] = []
      const kw = createKeyward({
        store: created.store,
        clock,
        hasher: sha256Hasher(),
        logger: { warn: (message) => warnings.push(message) },
        sessions: { secret: SECRET },
        ...options,
      })
      instances.push(kw)
      return { kw, clock, warnings, store: options.store ?? created.store, created }
    }

    it('create, update, revoke and rotate each fire once, after the commit, with their actor', async () => {
      const { kw, store } = await setup()
      const seen = record(kw, ALL)
      // What the store holds when the listener runs: the change is committed by then.
      const stored: Array<Promise<unknown>> = []
      kw.events.on('token.revoked', (event) => void stored.push(store.findToken(event.token.id)))
      const ada = { kind: 'user', id: 'ada', address: '192.0.2.7', userAgent: 'Firefox/128' } as const
      const { record: token } = await kw.tokens.create({
        userId: 'ada',
        name: 'ci',
        expiresIn: '30d',
        actor: ada,
      })
      await kw.tokens.update(token.id, { name: 'deploy' }, { userId: 'ada', actor: ada })
      const rotated = await kw.tokens.rotate(token.id, { actor: { kind: 'cli', id: 'ops' } })
      await kw.tokens.revoke(rotated.record.id, { reason: 'done' })
      expect(seen.map((event) => event.type)).toEqual([
        'token.created',
        'token.updated',
        'token.rotated',
        'token.revoked',
      ])
      expect(seen[0]).toMatchObject({ token: { id: token.id, userId: 'ada', name: 'ci' }, actor: ada })
      expect(seen[1]).toMatchObject({ token: { name: 'deploy' }, changes: ['name'], actor: ada })
      expect(seen[2]).toMatchObject({
        token: { id: rotated.record.id, status: 'active' },
        previous: { id: token.id, revokedReason: 'rotated' },
        actor: { kind: 'cli', id: 'ops', address: null, userAgent: null },
      })
      expect(seen[3]).toMatchObject({
        token: { id: rotated.record.id, status: 'revoked' },
        reason: 'done',
        actor: ADMIN,
      })
      expect(await Promise.all(stored)).toEqual([expect.objectContaining({ revokedReason: 'done' })])
      for (const event of seen) expect(event.at).toBeInstanceOf(Date)
      // No event carries a plaintext token.
      expect(JSON.stringify(seen)).not.toContain(rotated.token)
      expect(kw.stats().events).toEqual({ emitted: 4, listenerErrors: 0 })
    })

    it('nothing fires for a call that changes nothing or fails', async () => {
      const { kw, clock } = await setup({ maxTokensPerUser: 1 })
      const { record: token } = await kw.tokens.create({ userId: 'ada', name: 'ci' })
      await kw.tokens.revoke(token.id)
      const seen = record(kw, ALL)
      // Revoked before: the first revocation wins, this call revokes nothing (even at the same instant).
      expect(await kw.tokens.revoke(token.id, { reason: 'again' })).toMatchObject({ status: 'revoked' })
      expect(await kw.tokens.revoke('nosuchtoken')).toBeNull()
      const { record: other } = await kw.tokens.create({ userId: 'bob', name: 'x' })
      seen.length = 0
      expect(await kw.tokens.revoke(other.id, { userId: 'ada' })).toBeNull()
      expect(await kw.tokens.update(other.id, { name: 'y' }, { userId: 'ada' })).toBeNull()
      await expect(kw.tokens.create({ userId: 'bob', name: 'two' })).rejects.toMatchObject({
        code: 'too_many_tokens',
      })
      await expect(kw.tokens.rotate(token.id)).rejects.toMatchObject({ code: 'token_not_active' })
      await expect(kw.tokens.create({ userId: 'bob', name: '' })).rejects.toMatchObject({
        code: 'invalid_argument',
      })
      expect(await kw.tokens.revokeAll('nobody')).toBe(0)
      // A bad actor is refused before anything is written.
      await expect(kw.tokens.revoke(other.id, { actor: { kind: 'robot' } as never })).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringMatching(/actor.kind/),
      })
      await expect(
        kw.tokens.revoke(other.id, { actor: { kind: 'user', id: 'x', extra: 1 } as never }),
      ).rejects.toThrow(/actor has no field "extra"/)
      await expect(
        kw.tokens.revoke(other.id, { actor: { kind: 'user', userAgent: 'x'.repeat(513) } }),
      ).rejects.toThrow(/actor.userAgent/)
      expect((await kw.tokens.get(other.id))?.status).toBe('active')
      clock.advance(1)
      expect(seen).toEqual([])
    })

    it('revokeAll fires one token.revoked per token it revoked; users.revokeAll adds the bump and the cut-off', async () => {
      const { kw } = await setup()
      const ids: string[] = []
      for (const name of ['a', 'b', 'c'])
        ids.push((await kw.tokens.create({ userId: 'ada', name })).record.id)
      await kw.tokens.revoke(ids[0] as string)
      const seen = record(kw, ALL)
      const actor = { kind: 'admin', id: 'root' } as const
      expect(await kw.tokens.revokeAll('ada', { reason: 'password changed', actor })).toBe(2)
      expect(seen.map((event) => [event.type, 'token' in event ? event.token.id : null])).toEqual(
        expect.arrayContaining([
          ['token.revoked', ids[1]],
          ['token.revoked', ids[2]],
        ]),
      )
      expect(seen).toHaveLength(2)
      expect(seen[0]).toMatchObject({ reason: 'password changed', actor: { kind: 'admin', id: 'root' } })
      seen.length = 0
      const fresh = (await kw.tokens.create({ userId: 'ada', name: 'd' })).record.id
      seen.length = 0
      const cut = await kw.users.revokeAll('ada', { reason: 'offboarded', actor })
      expect(seen.map((event) => event.type)).toEqual(['token.revoked', 'session.bumped', 'user.cut-off'])
      expect(seen[0]).toMatchObject({ token: { id: fresh }, reason: 'offboarded' })
      expect(seen[1]).toMatchObject({ userId: 'ada', version: cut.sessionVersion, actor: { id: 'root' } })
      expect(seen[2]).toMatchObject({ userId: 'ada', tokenIds: [fresh], sessionVersion: cut.sessionVersion })
      seen.length = 0
      expect(await kw.sessions.bump('ada', { actor: { kind: 'user', id: 'ada' } })).toBe(
        cut.sessionVersion + 1,
      )
      expect(seen).toEqual([
        expect.objectContaining({
          type: 'session.bumped',
          version: cut.sessionVersion + 1,
          actor: expect.objectContaining({ id: 'ada' }),
        }),
      ])
    })

    it('a throwing listener breaks neither the call nor the other listeners; it is logged and counted', async () => {
      const { kw, warnings } = await setup()
      kw.events.on('token.created', () => {
        throw new Error('mailer down')
      })
      const after: string[] = []
      kw.events.on('token.created', (event) => void after.push(event.token.id))
      const { record: token } = await kw.tokens.create({ userId: 'ada', name: 'ci' })
      expect(after).toEqual([token.id])
      expect(warnings).toEqual(['a listener of token.created failed (Error: mailer down)'])
      expect(kw.stats().events).toEqual({ emitted: 1, listenerErrors: 1 })
    })

    it('token.expired: once per token per process, when a miss finds it expired', async () => {
      const { kw, clock, created } = await setup()
      const seen = record(kw, ['token.expired'])
      const { token, record: stored } = await kw.tokens.create({ userId: 'ada', name: 'ci', expiresIn: '1h' })
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      clock.advance(3_600_001)
      for (let i = 0; i < 3; i++) expect((await kw.authenticate(bearer(token))).ok).toBe(false)
      expect(seen).toEqual([
        expect.objectContaining({
          type: 'token.expired',
          token: expect.objectContaining({ id: stored.id, status: 'expired' }),
        }),
      ])
      // Another process notices on its own.
      const other = createKeyward({
        store: await created.reopen(),
        clock,
        hasher: sha256Hasher(),
        logger: { warn: () => {} },
      })
      instances.push(other)
      const elsewhere = record(other, ['token.expired'])
      expect((await other.authenticate(bearer(token))).ok).toBe(false)
      expect(elsewhere).toHaveLength(1)
      expect(seen).toHaveLength(1)
    })

    it('events fire after the commit even when the other processes could not be told', async () => {
      const { store } = await backend.create()
      const failing = {
        ...store,
        bus: {
          async publish() {
            throw new Error('bus down')
          },
          async subscribe() {},
          async close() {},
        },
      } as KeywardStore
      const kw = createKeyward({
        store: failing,
        hasher: sha256Hasher(),
        logger: { warn: () => {} },
        heartbeat: false,
      })
      instances.push(kw)
      const { record: token } = await kw.tokens.create({ userId: 'ada', name: 'ci' })
      const seen = record(kw, ALL)
      await expect(kw.tokens.revoke(token.id)).rejects.toMatchObject({ code: 'invalidation_unconfirmed' })
      expect(seen).toEqual([
        expect.objectContaining({ type: 'token.revoked', token: expect.objectContaining({ id: token.id }) }),
      ])
    })
  })
}

describe('auth.failures', () => {
  it('aggregates the rejection counters once per interval, never per request, only while listened to', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const clock = manualClock()
    const kw = createKeyward({
      store: sqliteStore({ path: ':memory:', notify: false }),
      clock,
      hasher: sha256Hasher(),
      logger: { warn: () => {} },
      events: { failureInterval: '30s' },
    })
    try {
      // Before anyone listens: no timer, and these refusals are no one's news.
      expect(vi.getTimerCount()).toBe(0)
      await kw.authenticate('Bearer nope')
      const seen: Array<KeywardEvent<'auth.failures'>> = []
      const off = kw.events.on('auth.failures', (event) => void seen.push(event))
      expect(vi.getTimerCount()).toBe(1)
      const start = clock.now()
      for (let i = 0; i < 25; i++) await kw.authenticate(i % 5 === 0 ? undefined : 'Bearer nope')
      clock.advance(30_000)
      vi.advanceTimersByTime(30_000)
      // A quiet interval: nothing.
      clock.advance(30_000)
      vi.advanceTimersByTime(30_000)
      await kw.authenticate('Basic abc')
      clock.advance(30_000)
      vi.advanceTimersByTime(30_000)
      expect(seen).toEqual([
        expect.objectContaining({
          type: 'auth.failures',
          since: new Date(start),
          until: new Date(start + 30_000),
          counts: { missing_token: 5, malformed: 20 },
          total: 25,
        }),
        expect.objectContaining({
          since: new Date(start + 60_000),
          until: new Date(start + 90_000),
          counts: { missing_token: 1 },
          total: 1,
        }),
      ])
      off()
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      await kw.close()
    }
  })

  it('refuses a bad interval and unknown event options', () => {
    expect(() => createKeyward({ events: { failureInterval: '10ms' } })).toThrow(/at least 1s/)
    expect(() => createKeyward({ events: { every: '1m' } as never })).toThrow(/events.every/)
    expect(() => createKeyward({ audit: 'yes' as never })).toThrow(/audit must be true or false/)
  })
})
