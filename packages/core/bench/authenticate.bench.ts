/**
 * `npm run bench`: what authenticate() costs on this machine, against the floor of one SHA-256 of
 * the token (which every cache hit pays). Not a test: it prints a table and asserts nothing.
 * Goal: a cache hit within 3x of the floor.
 */
import { hash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward } from '../src/index.js'
import { sqliteStore } from '../src/sqlite.js'

function nsPerOp(iterations: number, run: () => unknown): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) run()
  return Number(process.hrtime.bigint() - start) / iterations
}

async function nsPerAsyncOp(iterations: number, run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) await run()
  return Number(process.hrtime.bigint() - start) / iterations
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-'))
try {
  const store = sqliteStore({ path: join(dir, 'bench.db') })
  await store.migrate()
  const hot = createKeyward({ store, tokenPrefix: 'bench' })
  const { token } = await hot.tokens.create({ userId: 'bench', name: 'hot', scopes: ['repo:read'] })
  const header = `Bearer ${token}`
  await hot.authenticate(header)

  const rounds = 7
  const floor = median(Array.from({ length: rounds }, () => nsPerOp(200_000, () => hash('sha256', token))))
  const hitSync = median(Array.from({ length: rounds }, () => nsPerOp(200_000, () => hot.check(header))))
  const hitAsync: number[] = []
  for (let r = 0; r < rounds; r++) hitAsync.push(await nsPerAsyncOp(100_000, () => hot.authenticate(header)))
  const badChecksum = median(
    Array.from({ length: rounds }, () => nsPerOp(200_000, () => hot.check(`${header.slice(0, -1)}x`))),
  )
  const cold = createKeyward({ store, tokenPrefix: 'bench', cache: { ttl: 0 } })
  const miss = await nsPerAsyncOp(40, () => cold.authenticate(header))

  const rows: Array<[string, number]> = [
    ['floor: SHA-256 of the token', floor],
    ['cache hit, check() (sync)', hitSync],
    ['cache hit, authenticate()', median(hitAsync)],
    ['bad checksum (no I/O)', badChecksum],
    ['miss: SQLite read + argon2id', miss],
  ]
  console.log(`\nauthenticate() on ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}\n`)
  console.log(`${'case'.padEnd(32)}${'ns/op'.padStart(14)}${'x floor'.padStart(10)}`)
  for (const [name, ns] of rows) {
    console.log(`${name.padEnd(32)}${ns.toFixed(0).padStart(14)}${(ns / floor).toFixed(1).padStart(10)}`)
  }
  const ratio = median(hitAsync) / floor
  console.log(
    `\ncache hit (authenticate) is ${ratio.toFixed(1)}x the floor: goal ≤ 3x ${ratio <= 3 ? 'met' : 'NOT met'}`,
  )
  await cold.flush()
  await hot.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
