import { join } from 'node:path'
import { checksum, createKeyward, type Keyward } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'

const bearer = (token: string) => `Bearer ${token}`

/** A well-formed token (valid checksum) for an id that does not exist. */
function unknownToken(n: number): string {
  const id = n.toString(36).padStart(22, 'U').slice(-22)
  const body = `bench_${id}_${'S'.repeat(43)}`
  return body + checksum(body)
}

function heapMiB(): number {
  globalThis.gc?.()
  return process.memoryUsage().heapUsed / 2 ** 20
}

async function fresh(dir: string, name: string): Promise<Keyward> {
  const store = sqliteStore({ path: join(dir, `${name}.db`) })
  await store.migrate()
  return createKeyward({ store, tokenPrefix: 'bench', logger: { warn: () => {} } })
}

/** The abuse scenarios of the hot-path issue, in process, each printing its counters. */
export async function abuseScenarios(dir: string): Promise<string[]> {
  const out: string[] = []

  {
    const kw = await fresh(dir, 'flight')
    const { token } = await kw.tokens.create({ userId: 'u', name: 'fresh' })
    const results = await Promise.all(Array.from({ length: 500 }, () => kw.authenticate(bearer(token))))
    const s = kw.stats()
    out.push(
      `500 concurrent requests, one fresh token: ${results.filter((r) => r.ok).length} ok, store reads ${s.storeReads}, argon2 verifications ${s.hashVerifications} (target 1 and 1)`,
    )
    await kw.close()
  }

  {
    const kw = await fresh(dir, 'checksum')
    const { token } = await kw.tokens.create({ userId: 'u', name: 'real' })
    for (let i = 0; i < 20_000; i++) {
      const bad = `${token.slice(0, -6)}${i.toString(36).padStart(6, '0').slice(-6)}`
      if (bad !== token) await kw.authenticate(bearer(bad))
    }
    const s = kw.stats()
    out.push(
      `20,000 tokens with a bad checksum: store reads ${s.storeReads}, verifications ${s.hashVerifications}, rejected as bad_checksum ${s.rejections.bad_checksum} (target 0 and 0)`,
    )
    await kw.close()
  }

  {
    const kw = await fresh(dir, 'guess')
    const { token } = await kw.tokens.create({ userId: 'u', name: 'real' })
    await kw.authenticate(bearer(token))
    let realOk = 0
    let realTotal = 0
    const before = kw.stats().hashVerifications
    for (let i = 0; i < 2000; i++) {
      const body = `${token.slice(0, -49)}${String(i).padStart(43, 'g')}`
      await kw.authenticate(bearer(body + checksum(body)))
      if (i % 10 === 0) {
        realTotal++
        if ((await kw.authenticate(bearer(token))).ok) realOk++
      }
    }
    const s = kw.stats()
    out.push(
      `2,000 wrong secrets for one id: argon2 verifications ${s.hashVerifications - before} (budget 5), throttled ${s.protection.throttled}; the real token answered ok ${realOk}/${realTotal}`,
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
      `10,000 requests over 100 tokens: last-used statements ${s.lastUsed.statements}, rows written ${s.lastUsed.rows}`,
    )
    await kw.close()
  }

  {
    const kw = await fresh(dir, 'flood')
    const { token } = await kw.tokens.create({ userId: 'u', name: 'real' })
    await kw.authenticate(bearer(token))
    const before = heapMiB()
    const started = performance.now()
    for (let i = 0; i < 1_000_000; i++) await kw.check(bearer(unknownToken(i)))
    const seconds = (performance.now() - started) / 1000
    const after = heapMiB()
    const s = kw.stats()
    out.push(
      `1,000,000 distinct invalid tokens (${seconds.toFixed(0)} s): heap ${before.toFixed(0)} MiB before, ${after.toFixed(0)} MiB after; cache entries ${s.cache.size}; the real token still ${(await kw.authenticate(bearer(token))).ok ? 'ok' : 'REFUSED'}`,
    )
    await kw.close()
  }
  return out
}
