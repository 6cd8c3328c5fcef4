import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { sqliteStore } from './sqlite.js'
import { eventually } from './testing/backends.js'

const run = promisify(execFile)
const script = fileURLToPath(new URL('./testing/fixtures/sqlite-invalidate.ts', import.meta.url))
const bearer = (token: string) => `Bearer ${token}`
const secret = 'a-session-secret-of-at-least-32-bytes!!'

describe('SQLite invalidations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-sqlite-bus-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const closers: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
  })
  let n = 0

  async function instance(path: string, warnings: string[] = []) {
    const store = sqliteStore({ path, pollInterval: 100 })
    await store.migrate()
    const kw = createKeyward({
      store,
      tokenPrefix: 'myapp',
      hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
      sessions: { secret },
      logger: { warn: (m) => warnings.push(m) },
    })
    closers.push(() => kw.close())
    return kw
  }

  it('two instances in one process on one file: a revoke or a bump on one is refused by the other at once', async () => {
    const path = join(dir, `${++n}.db`)
    const warnings: string[] = []
    const a = await instance(path, warnings)
    const b = await instance(path, warnings)
    const { token, record } = await a.tokens.create({ userId: 'u1', name: 'ci' })
    const session = await a.sessions.issue({ userId: 'u2' })
    expect((await b.authenticate(bearer(token))).ok).toBe(true)
    expect((await b.authenticate(bearer(session.token))).ok).toBe(true)
    await eventually(() => b.stats().invalidations.subscribed, 2000).catch(() => {})
    await a.tokens.revoke(record.id)
    expect((await b.authenticate(bearer(token))).ok).toBe(false)
    await a.sessions.bump('u2')
    expect((await b.authenticate(bearer(session.token))).ok).toBe(false)
    expect(b.stats().invalidations).toMatchObject({ channel: 'sqlite', forged: 0, replayed: 0 })
    expect(warnings).toEqual([])
  })

  it('stores with another table prefix on the same file hear nothing of this one', async () => {
    const path = join(dir, `${++n}.db`)
    const a = await instance(path)
    const store = sqliteStore({ path, tablePrefix: 'other_', pollInterval: 100 })
    await store.migrate()
    const other = createKeyward({ store, tokenPrefix: 'myapp', logger: { warn: () => {} } })
    closers.push(() => other.close())
    await other.tokens.list('nobody') // opens the store, and with it the bus
    await eventually(() => other.stats().invalidations.subscribed, 2000)
    const { record } = await a.tokens.create({ userId: 'u1', name: 'ci' })
    await a.tokens.revoke(record.id)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(other.stats().invalidations).toMatchObject({ received: 0, forged: 0 })
  })

  it('an in-memory database, which no other process can open, needs no channel and gets no warning', async () => {
    const warnings: string[] = []
    const kw = await instance(':memory:', warnings)
    expect(kw.stats().invalidations.channel).toBe('local')
    expect(warnings).toEqual([])
    // notify: false on a file is a real gap: warned.
    const store = sqliteStore({ path: join(dir, `${++n}.db`), notify: false })
    await store.migrate()
    const off = createKeyward({ store, logger: { warn: (m) => warnings.push(m) } })
    closers.push(() => off.close())
    expect(off.stats().invalidations.channel).toBe('none')
    expect(warnings).toEqual([expect.stringContaining('no invalidation channel')])
  })

  it('another process revoking or bumping on the same file reaches a running instance within a second', async () => {
    const path = join(dir, `${++n}.db`)
    const kw = await instance(path)
    const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'ci' })
    const session = await kw.sessions.issue({ userId: 'u2' })
    expect((await kw.authenticate(bearer(token))).ok).toBe(true)
    expect((await kw.authenticate(bearer(session.token))).ok).toBe(true)
    await eventually(() => kw.stats().invalidations.subscribed, 2000).catch(() => {})

    await run(process.execPath, ['--import', 'tsx', script, path, 'revoke', record.id])
    await eventually(async () => !(await kw.authenticate(bearer(token))).ok, 1000)
    await run(process.execPath, ['--import', 'tsx', script, path, 'bump', 'u2'])
    await eventually(async () => !(await kw.authenticate(bearer(session.token))).ok, 1000)
    expect(kw.stats().invalidations).toMatchObject({ channel: 'sqlite', received: 2, forged: 0 })
  }, 30_000)
})
