import { describe, expect, it } from 'vitest'
import { engineCounters } from './engine-stats.js'
import { sha256Hasher } from './hashing.js'
import { Lifecycle } from './lifecycle.js'
import { createMissResolver } from './miss-resolver.js'
import { createProtection } from './protection.js'
import { SharedLevel } from './shared-level.js'
import { DeploymentKey } from './shared-trust.js'
import type { KeywardStore, TokenRow } from './store.js'
import { StoreReads } from './store-reads.js'
import { manualClock } from './testing/backends.js'
import { NO_ENTRY, type RefreshDue } from './token-cache.js'
import { createTokenCaches } from './token-caches.js'
import { displayPrefix, generateToken } from './token-format.js'
import { createVerdicts } from './verdicts.js'

const PREFIX = 'kw'
const CACHE_TTL = 10_000

/**
 * Not a store test: an in-memory stand-in with the two methods a miss uses, whose reads can be
 * held open (`hold()`) to let an invalidation land while one is in flight.
 */
function memoryRows() {
  const rows = new Map<string, TokenRow>()
  let held: Promise<void> | null = null
  const store = {
    reads: 0,
    async findToken(id: string) {
      store.reads++
      // What the read sees is decided when it starts; a held read answers it later.
      const row = rows.get(id)
      const seen = row === undefined ? null : { ...row }
      if (held) await held
      return seen
    },
    async updateToken(id: string, patch: Partial<TokenRow>) {
      const row = rows.get(id)
      if (row === undefined) return null
      Object.assign(row, patch)
      return { ...row }
    },
  }
  return {
    store,
    rows,
    /** Holds every read until the returned function is called. */
    hold(): () => void {
      let release = () => {}
      held = new Promise<void>((resolve) => {
        release = () => {
          held = null
          resolve()
        }
      })
      return release
    },
  }
}

async function setup() {
  const clock = manualClock()
  const hasher = sha256Hasher()
  const memory = memoryRows()
  const store = async () => memory.store as unknown as KeywardStore
  const lifecycle = new Lifecycle()
  const counters = engineCounters()
  const logger = { warn: () => {} }
  const reportStoreError = () => {
    counters.errors.store++
  }
  const caches = createTokenCaches({
    clock,
    cacheTtl: CACHE_TTL,
    logger: { warn: () => {} },
    cacheMax: 100,
    flushInterval: 60_000,
    storeTimeout: 1_000,
    store,
    reportStoreError,
    lifecycle,
    counters,
  })
  const protection = createProtection({}, clock)
  const deploymentKey = new DeploymentKey(async () => new Uint8Array(32))
  const resolver = createMissResolver({
    clock,
    logger,
    hasher,
    lifecycle,
    counters,
    ownPrefix: (id) => displayPrefix(PREFIX, id),
    cacheTtl: CACHE_TTL,
    sharedTtl: 600_000,
    store,
    storeReads: new StoreReads(undefined, { clock, timeout: 1_000 }),
    reportStoreError,
    cache: caches.cache,
    fill: caches.fill,
    fence: caches.fence,
    shared: new SharedLevel({ deploymentKey, clock, logger }),
    protection,
    verdicts: createVerdicts(counters.rejections, 5, protection),
    entryLimit: (limit) => limit,
    invalidate: caches.invalidate,
    noticeExpired: () => {},
  })
  const dues: RefreshDue[] = []
  caches.refreshDue.on((due) => dues.push(due))
  /** A lookup as the hot path makes it: the answer, and a refresh started when the entry asks. */
  const hit = (digest: string) => {
    const now = clock.now()
    const slot = caches.cache.get(digest, now)
    if (slot === NO_ENTRY) return undefined
    if (now >= caches.cache.refreshAt(slot)) caches.startRefresh(slot)
    return caches.cache.result(slot)
  }

  /** A token in the store, and the key a caller would look it up by. */
  async function mint(changes: Partial<TokenRow> = {}) {
    const { id, secret } = generateToken(PREFIX)
    memory.rows.set(id, {
      id,
      userId: 'u1',
      name: 'n',
      prefix: displayPrefix(PREFIX, id),
      secretHash: await hasher.hash(secret),
      scopes: ['read'],
      expiresAt: null,
      lastUsedAt: null,
      createdAt: clock.now(),
      revokedAt: null,
      revokedReason: null,
      metadata: null,
      description: null,
      ...changes,
    })
    return { token: { id, secret }, digest: `digest-of-${id}` }
  }
  return { clock, memory, caches, counters, protection, resolver, dues, mint, lifecycle, hit }
}

describe('the miss resolver, without a database', () => {
  it('verifies a token once against its row and caches it: the next lookup is a hit', async () => {
    const { resolver, counters, memory, mint, hit } = await setup()
    const { token, digest } = await mint()
    const result = await resolver.resolveMiss(token, digest)
    expect(result).toMatchObject({ ok: true, principal: { kind: 'pat', userId: 'u1', tokenId: token.id } })
    expect(counters).toMatchObject({ storeReads: 1, hashVerifications: 1 })
    expect(memory.store.reads).toBe(1)
    expect(hit(digest)).toEqual(result)
  })

  it('refuses unknown, wrong-secret, revoked and expired tokens, each counted and negative-cached', async () => {
    const { resolver, counters, protection, mint, clock } = await setup()
    const unknown = { id: 'nope', secret: 'x' }
    expect((await resolver.resolveMiss(unknown, 'd-unknown')).ok).toBe(false)
    const wrong = await mint()
    expect((await resolver.resolveMiss({ ...wrong.token, secret: 'wrong' }, 'd-wrong')).ok).toBe(false)
    const revoked = await mint({ revokedAt: clock.now() - 1 })
    expect((await resolver.resolveMiss(revoked.token, 'd-revoked')).ok).toBe(false)
    const expired = await mint({ expiresAt: clock.now() })
    expect((await resolver.resolveMiss(expired.token, 'd-expired')).ok).toBe(false)
    expect(counters.rejections).toMatchObject({ unknown: 1, wrong_secret: 1, revoked: 1, expired: 1 })
    for (const digest of ['d-unknown', 'd-wrong', 'd-revoked', 'd-expired'])
      expect(protection.isRefused(digest)).toBe(true)
  })

  it('a revoke that lands while the store read is in flight fences the miss: it reads again and refuses', async () => {
    const { resolver, caches, memory, mint, clock, counters, hit } = await setup()
    const { token, digest } = await mint()
    const release = memory.hold()
    const pending = resolver.resolveMiss(token, digest)
    await new Promise((resolve) => setImmediate(resolve))
    // The revoke: written to the store, then invalidated here, before the read (which saw the
    // token active) answers.
    ;(memory.rows.get(token.id) as TokenRow).revokedAt = clock.now()
    caches.invalidate([token.id])
    release()
    expect((await pending).ok).toBe(false)
    expect(counters.rejections.revoked).toBe(1)
    expect(memory.store.reads).toBe(2)
    expect(hit(digest)).toBeUndefined()
  })

  it('refresh-ahead: a hit near the end of the TTL asks for a refresh, which renews from the row (no argon2)', async () => {
    const { resolver, counters, mint, clock, dues, hit } = await setup()
    const { token, digest } = await mint()
    await resolver.resolveMiss(token, digest)
    clock.advance(CACHE_TTL * 0.9)
    expect(hit(digest)).toBeDefined()
    expect(dues).toHaveLength(1)
    await resolver.refresh(dues[0] as RefreshDue)
    expect(counters.cache.renewed).toBe(1)
    expect(counters.hashVerifications).toBe(1)
    // Renewed for another TTL from now: still there past the first entry's end.
    clock.advance(CACHE_TTL * 0.5)
    expect(hit(digest)).toBeDefined()
  })

  it('refresh-ahead of a token revoked elsewhere (a missed message) drops it now', async () => {
    const { resolver, counters, mint, clock, dues, memory, hit } = await setup()
    const { token, digest } = await mint()
    await resolver.resolveMiss(token, digest)
    clock.advance(CACHE_TTL * 0.9)
    hit(digest)
    ;(memory.rows.get(token.id) as TokenRow).revokedAt = clock.now()
    await resolver.refresh(dues[0] as RefreshDue)
    expect(counters.cache.renewed).toBe(0)
    expect(hit(digest)).toBeUndefined()
  })

  it('refresh-ahead does not renew a token whose hash changed: it needs the secret, so it expires', async () => {
    const { resolver, counters, mint, clock, dues, memory, hit } = await setup()
    const { token, digest } = await mint()
    await resolver.resolveMiss(token, digest)
    clock.advance(CACHE_TTL * 0.9)
    hit(digest)
    ;(memory.rows.get(token.id) as TokenRow).secretHash = await sha256Hasher().hash('another secret')
    await resolver.refresh(dues[0] as RefreshDue)
    expect(counters.cache.renewed).toBe(0)
    clock.advance(CACHE_TTL * 0.2)
    expect(hit(digest)).toBeUndefined()
  })

  it('a refresh fenced by an invalidation in flight does not renew', async () => {
    const { resolver, caches, counters, mint, clock, dues, memory, hit } = await setup()
    const { token, digest } = await mint()
    await resolver.resolveMiss(token, digest)
    clock.advance(CACHE_TTL * 0.9)
    hit(digest)
    const release = memory.hold()
    const refreshing = resolver.refresh(dues[0] as RefreshDue)
    await new Promise((resolve) => setImmediate(resolve))
    caches.invalidate([token.id])
    release()
    await refreshing
    expect(counters.cache.renewed).toBe(0)
    expect(hit(digest)).toBeUndefined()
  })
})
