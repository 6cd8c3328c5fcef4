import { join } from 'node:path'
import { checksum, createKeyward, type Keyward, type KeywardOptions } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'

const bearer = (token: string) => `Bearer ${token}`
const FAILURES_PER_TOKEN = 5
/** The default of `protection.failuresPerTokenAllClients`. */
const FAILURES_ALL_CLIENTS = 100
/** How much the heap may grow under the million invalid tokens: the negative cache's 10,000 digests fit many times over. */
const HEAP_GROWTH_LIMIT_MIB = 16

/** A well-formed token (valid checksum) for an id that does not exist. */
function unknownToken(n: number): string {
  const id = n.toString(36).padStart(22, 'U').slice(-22)
  const body = `bench_${id}_${'S'.repeat(43)}`
  return body + checksum(body)
}

/** A well-formed token for the real token's id, with a wrong secret. */
function wrongSecret(token: string, n: number): string {
  const body = `${token.slice(0, -49)}${String(n).padStart(43, 'g')}`
  return body + checksum(body)
}

function memoryMiB(): { heap: number; rss: number } {
  if (typeof globalThis.gc !== 'function') throw new Error('the abuse scenarios need node --expose-gc')
  globalThis.gc()
  const usage = process.memoryUsage()
  return { heap: usage.heapUsed / 2 ** 20, rss: usage.rss / 2 ** 20 }
}

const verdict = (met: boolean) => (met ? 'met' : 'NOT met')

async function fresh(dir: string, name: string, options: Partial<KeywardOptions> = {}): Promise<Keyward> {
  const store = sqliteStore({ path: join(dir, `${name}.db`) })
  await store.migrate()
  return createKeyward({
    store,
    tokenPrefix: 'bench',
    logger: { warn: () => {} },
    protection: { failuresPerToken: FAILURES_PER_TOKEN },
    ...options,
  })
}

/**
 * 2,000 wrong secrets for the real token's id, in 20 bursts of 100 concurrent guesses, each burst
 * with a request for the real token in flight alongside. Returns the verifications the flood cost
 * and the real token's answers.
 */
async function guessFlood(kw: Keyward, token: string) {
  const before = kw.stats().hashVerifications
  let realOk = 0
  let realTotal = 0
  for (let burst = 0; burst < 20; burst++) {
    const [real] = await Promise.all([
      kw.authenticate(bearer(token)),
      ...Array.from({ length: 100 }, (_, i) => kw.authenticate(bearer(wrongSecret(token, burst * 100 + i)))),
    ])
    realTotal++
    if (real?.ok) realOk++
  }
  return { verifications: kw.stats().hashVerifications - before, realOk, realTotal }
}

/** The abuse scenarios of the hot-path issue, in process, each printing its counters and verdict. */
export async function abuseScenarios(dir: string): Promise<string[]> {
  const out: string[] = []

  {
    const kw = await fresh(dir, 'flight')
    const { token } = await kw.tokens.create({ userId: 'u', name: 'fresh' })
    const results = await Promise.all(Array.from({ length: 500 }, () => kw.authenticate(bearer(token))))
    const s = kw.stats()
    const ok = results.filter((r) => r.ok).length
    out.push(
      `500 concurrent requests, one fresh token: ${ok} ok, store reads ${s.storeReads}, argon2 verifications ${s.hashVerifications} (target 500 ok, 1 and 1): ${verdict(ok === 500 && s.storeReads === 1 && s.hashVerifications === 1)}`,
    )
    await kw.close()
  }

  {
    const kw = await fresh(dir, 'checksum')
    const { token } = await kw.tokens.create({ userId: 'u', name: 'real' })
    let sent = 0
    for (let i = 0; sent < 20_000; i++) {
      const bad = `${token.slice(0, -6)}${i.toString(36).padStart(6, '0').slice(-6)}`
      if (bad === token) continue
      await kw.authenticate(bearer(bad))
      sent++
    }
    const s = kw.stats()
    out.push(
      `20,000 tokens with a bad checksum: store reads ${s.storeReads}, verifications ${s.hashVerifications}, rejected as bad_checksum ${s.rejections.bad_checksum} (target 0 and 0): ${verdict(s.storeReads === 0 && s.hashVerifications === 0 && s.rejections.bad_checksum === 20_000)}`,
    )
    await kw.close()
  }

  {
    const kw = await fresh(dir, 'guess')
    const { token } = await kw.tokens.create({ userId: 'u', name: 'real' })
    await kw.authenticate(bearer(token))
    const flood = await guessFlood(kw, token)
    const s = kw.stats()
    out.push(
      `2,000 wrong secrets for one id in bursts of 100, the real token cached and in flight alongside: argon2 verifications ${flood.verifications} (budget ${FAILURES_PER_TOKEN}), throttled ${s.protection.throttled}; the real token answered ok ${flood.realOk}/${flood.realTotal}: ${verdict(flood.verifications <= FAILURES_PER_TOKEN && flood.realOk === flood.realTotal)}`,
    )
    await kw.close()
  }

  {
    // Without the cache every real request is verified: the throttle itself must let it through.
    const kw = await fresh(dir, 'guess-uncached', { cache: { ttl: 0 } })
    const { token } = await kw.tokens.create({ userId: 'u', name: 'real' })
    await kw.authenticate(bearer(token))
    const flood = await guessFlood(kw, token)
    const wrong = flood.verifications - flood.realOk
    out.push(
      `the same with the cache off: argon2 verifications ${flood.verifications}, of them ${flood.realOk} for the real token and ${wrong} for wrong secrets (budget ${FAILURES_PER_TOKEN}); the real token answered ok ${flood.realOk}/${flood.realTotal}: ${verdict(wrong <= FAILURES_PER_TOKEN && flood.realOk === flood.realTotal)}`,
    )
    await kw.close()
  }

  {
    // A cold process (the real token never verified here): the stranger's guesses come from one
    // address, the owner's request from another, and must not be throttled by them.
    const kw = await fresh(dir, 'guess-cold')
    const { token } = await kw.tokens.create({ userId: 'u', name: 'real' })
    for (let i = 0; i < 2000; i++)
      await kw.authenticate(bearer(wrongSecret(token, i)), { client: '203.0.113.7' })
    const verifications = kw.stats().hashVerifications
    const owner = (await kw.authenticate(bearer(token), { client: '198.51.100.2' })).ok
    out.push(
      `2,000 wrong secrets for one id from one address on a cold process, then the owner from another: argon2 verifications ${verifications} (budget ${FAILURES_PER_TOKEN}); the owner ${owner ? 'ok' : 'REFUSED'}: ${verdict(verifications <= FAILURES_PER_TOKEN && owner)}`,
    )
    await kw.close()
  }

  {
    // The same spread over 2,000 addresses: past the id's budget across clients each further address
    // gets one try per window (no stranger can lock the owner out), so the flood costs at most the
    // budget plus one verification per address; the owner, from yet another address, gets through.
    const kw = await fresh(dir, 'guess-spread')
    const { token } = await kw.tokens.create({ userId: 'u', name: 'real' })
    const addresses = 2000
    for (let i = 0; i < 2 * addresses; i++) {
      const address = i % addresses
      await kw.authenticate(bearer(wrongSecret(token, i)), {
        client: `10.0.${address >> 8}.${address & 255}`,
      })
    }
    const verifications = kw.stats().hashVerifications
    const owner = (await kw.authenticate(bearer(token), { client: '198.51.100.2' })).ok
    out.push(
      `4,000 wrong secrets for one id from 2,000 addresses, then the owner from another: argon2 verifications ${verifications} (at most one per address past the budget of ${FAILURES_ALL_CLIENTS} across clients); the owner ${owner ? 'ok' : 'REFUSED'}: ${verdict(verifications <= Math.max(FAILURES_ALL_CLIENTS, addresses) && owner)}`,
    )
    await kw.close()
  }

  {
    const kw = await fresh(dir, 'lastused')
    const tokens = await Promise.all(
      Array.from({ length: 100 }, (_, i) => kw.tokens.create({ userId: 'u', name: `t${i}` })),
    )
    for (let i = 0; i < 10_000; i++) await kw.authenticate(bearer(tokens[i % 100]?.token ?? ''))
    await kw.flush()
    const s = kw.stats()
    out.push(
      `10,000 requests over 100 tokens: last-used statements ${s.lastUsed.statements}, rows written ${s.lastUsed.rows} (target: one row per token): ${verdict(s.lastUsed.rows === 100)}`,
    )
    await kw.close()
  }

  {
    const kw = await fresh(dir, 'flood')
    const { token } = await kw.tokens.create({ userId: 'u', name: 'real' })
    await kw.authenticate(bearer(token))
    const before = memoryMiB()
    const started = performance.now()
    for (let i = 0; i < 1_000_000; i++) await kw.check(bearer(unknownToken(i)))
    const seconds = (performance.now() - started) / 1000
    const after = memoryMiB()
    const s = kw.stats()
    const realOk = (await kw.authenticate(bearer(token))).ok
    const growth = after.heap - before.heap
    out.push(
      `1,000,000 distinct invalid tokens (${seconds.toFixed(0)} s): heap ${before.heap.toFixed(0)} MiB before, ${after.heap.toFixed(0)} MiB after (RSS ${before.rss.toFixed(0)} → ${after.rss.toFixed(0)} MiB); cache entries ${s.cache.size}; the real token still ${realOk ? 'ok' : 'REFUSED'} (target: heap growth under ${HEAP_GROWTH_LIMIT_MIB} MiB): ${verdict(growth < HEAP_GROWTH_LIMIT_MIB && realOk)}`,
    )
    await kw.close()
  }
  return out
}
