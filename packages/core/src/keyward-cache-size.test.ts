import { describe, expect, it } from 'vitest'
import { EARLY_EVICTIONS_ALLOWED } from './cache-pressure.js'
import { sha256Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { manualClock, sqliteBackend } from './testing/backends.js'

const backend = sqliteBackend()

describe('Keyward with a cache smaller than the tokens in use', () => {
  it('counts the live entries it evicts, warns once with the numbers, and still writes each use once per window', async () => {
    const { store } = await backend.create()
    const clock = manualClock()
    const warnings: string[] = []
    const kw = createKeyward({
      store,
      clock,
      tokenPrefix: 'myapp',
      hasher: sha256Hasher(),
      cache: { max: 10, ttl: '10m' },
      lastUsed: { flushInterval: '1h' },
      logger: { warn: (line) => warnings.push(line) },
    })
    const tokens = await Promise.all(
      Array.from({ length: EARLY_EVICTIONS_ALLOWED + 20 }, (_, i) =>
        kw.tokens.create({ userId: `u${i % 3}`, name: `t${i}` }),
      ),
    )
    for (const { token } of tokens) {
      expect((await kw.authenticate(`Bearer ${token}`)).ok).toBe(true)
      clock.advance(100)
    }
    expect(kw.stats().cache).toMatchObject({ size: 10, evictions: tokens.length - 10 })
    const tooSmall = warnings.filter((line) => line.includes('the token cache is too small'))
    expect(tooSmall).toHaveLength(1)
    expect(tooSmall[0]).toContain('cache.max 10,')
    // Every token again within the window: evicted and refilled, but its use is not written twice.
    for (const { token } of tokens) await kw.authenticate(`Bearer ${token}`)
    await kw.flush()
    expect(kw.stats().lastUsed).toMatchObject({ rows: tokens.length })
    expect(warnings.filter((line) => line.includes('the token cache is too small'))).toHaveLength(1)
    await kw.close()
  })
})
