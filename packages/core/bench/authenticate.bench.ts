/**
 * `npm run bench`: what authenticate() costs on this machine, against the floor of one SHA-256 of
 * the token (which every cache hit pays). Not a test: it prints a table and asserts nothing.
 * Goal: a cache hit within 3x of the floor. Run with --expose-gc to print the heap each cached
 * token costs (see docs/cache-sizing.md). Then the same hit with events, the audit log and metrics
 * switched on, beside the plain one (observed-hit.ts). Goal: within 2% of the plain hit.
 */
import { hash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward, sha256Hasher } from '../src/index.js'
import { sqliteStore } from '../src/sqlite.js'
import { observedHits, observedReport } from './observed-hit.js'
import { median, nsPerAsyncOp, nsPerOp } from './timing.js'

/** Distinct live tokens for the working-set row: as many as `cache.max`, so that every one stays cached. */
const WORKING_SET = 100_000
const collectGarbage = (globalThis as { gc?: () => void }).gc

function heapUsed(): number {
  for (let i = 0; i < 4; i++) collectGarbage?.()
  return process.memoryUsage().heapUsed
}

/**
 * Hits spread over `WORKING_SET` cached tokens (SHA-256 at rest, to mint them fast), one user each,
 * and the heap the cache holds per token: measured around the misses that fill it.
 */
async function workingSet(
  path: string,
  rounds: number,
): Promise<{ hit: number; bytesPerToken: number | null }> {
  const store = sqliteStore({ path })
  await store.migrate()
  const kw = createKeyward({
    store,
    tokenPrefix: 'bench',
    hasher: sha256Hasher(),
    cache: { max: WORKING_SET },
  })
  const headers: string[] = []
  for (let i = 0; i < WORKING_SET; i++) {
    const { token } = await kw.tokens.create({ userId: `user-${i}`, name: 'spread', scopes: ['repo:read'] })
    // Flat, as a header read off a socket is: hashing a concatenation would flatten it during the fill.
    headers.push(Buffer.from(`Bearer ${token}`).toString())
  }
  await kw.authenticate(headers[0] ?? '')
  await kw.flush()
  const before = heapUsed()
  for (const header of headers) await kw.authenticate(header)
  await kw.flush()
  const bytesPerToken = collectGarbage === undefined ? null : (heapUsed() - before) / WORKING_SET
  // A stride prime to the set's size visits every token, in an order unlike the insertion order.
  let next = 0
  const hit = median(
    Array.from({ length: rounds }, () =>
      nsPerOp(200_000, () => {
        next = (next + 7919) % WORKING_SET
        return kw.check(headers[next] ?? '')
      }),
    ),
  )
  await kw.close()
  return { hit, bytesPerToken }
}

const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-'))
try {
  const path = join(dir, 'bench.db')
  const store = sqliteStore({ path })
  await store.migrate()
  const hot = createKeyward({ store, tokenPrefix: 'bench' })
  const { token } = await hot.tokens.create({ userId: 'bench', name: 'hot', scopes: ['repo:read'] })
  const header = `Bearer ${token}`
  await hot.authenticate(header)

  const rounds = 7
  const floor = median(
    Array.from({ length: rounds }, () => nsPerOp(200_000, () => hash('sha256', header, 'binary'))),
  )
  const hitSync = median(Array.from({ length: rounds }, () => nsPerOp(200_000, () => hot.check(header))))
  const hitAsync: number[] = []
  for (let r = 0; r < rounds; r++) hitAsync.push(await nsPerAsyncOp(100_000, () => hot.authenticate(header)))
  const badChecksum = median(
    Array.from({ length: rounds }, () => nsPerOp(200_000, () => hot.check(`${header.slice(0, -1)}x`))),
  )
  const observed = await observedHits(hot, path, header)
  const cold = createKeyward({ store, tokenPrefix: 'bench', cache: { ttl: 0 } })
  const miss = await nsPerAsyncOp(40, () => cold.authenticate(header))
  const spread = await workingSet(join(dir, 'working-set.db'), rounds)

  const rows: Array<[string, number]> = [
    ['floor: SHA-256 of the header', floor],
    ['cache hit, check() (sync)', hitSync],
    ['cache hit, authenticate()', median(hitAsync)],
    [`cache hit, ${WORKING_SET.toLocaleString('en-US')} tokens (check)`, spread.hit],
    ['bad checksum (no I/O)', badChecksum],
    ['miss: SQLite read + argon2id', miss],
  ]
  console.log(`\nauthenticate() on ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}\n`)
  console.log(`${'case'.padEnd(36)}${'ns/op'.padStart(14)}${'x floor'.padStart(10)}`)
  for (const [name, ns] of rows) {
    console.log(`${name.padEnd(36)}${ns.toFixed(0).padStart(14)}${(ns / floor).toFixed(1).padStart(10)}`)
  }
  console.log(
    spread.bytesPerToken === null
      ? '\nheap per cached token: run with --expose-gc to measure it'
      : `\nheap per cached token: ${spread.bytesPerToken.toFixed(0)} bytes (${WORKING_SET.toLocaleString('en-US')} tokens, one user each)`,
  )
  const ratio = median(hitAsync) / floor
  console.log(
    `\ncache hit (authenticate) is ${ratio.toFixed(1)}x the floor: goal ≤ 3x ${ratio <= 3 ? 'met' : 'NOT met'}`,
  )
  console.log(`\n${observedReport(observed).join('\n')}`)
  await cold.flush()
  await hot.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
