import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isKeywardError } from './errors.js'
import { argon2Hasher } from './hashing.js'
import { createGuard, defaultKeyward } from './http.js'
import { openInstances } from './instances.js'
import { createKeyward, type Keyward, type KeywardOptions } from './keyward.js'
import { sqliteStore } from './sqlite.js'

// The registry is process-wide: every case closes what it opened, so that the next starts at none.
const opened: Keyward[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const kw of opened.splice(0)) await kw.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  vi.unstubAllEnvs()
  expect(openInstances()).toEqual([])
})

function databasePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-instances-'))
  dirs.push(dir)
  return join(dir, 'keyward.db')
}

function instance(options: KeywardOptions = {}): Keyward {
  const kw = createKeyward({
    store: sqliteStore({ path: databasePath() }),
    hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
    logger: { warn: () => {} },
    ...options,
  })
  opened.push(kw)
  return kw
}

describe('the instance patAuth() uses when given none', () => {
  it('is the one instance the app created, and a closed instance is no longer counted', async () => {
    const kw = instance()
    expect(defaultKeyward()).toBe(kw)
    await kw.close()
    expect(openInstances()).toEqual([])
  })

  it('with several open, is an error naming the choice, at the factory call', () => {
    instance()
    instance()
    let thrown: unknown
    try {
      createGuard()
    } catch (error) {
      thrown = error
    }
    expect(isKeywardError(thrown)).toBe(true)
    expect((thrown as Error).message).toMatch(
      /^2 Keyward instances in this process: pass the one to use, patAuth\(kw\)/,
    )
    // An instance passed explicitly is no guess.
    expect(() => createGuard(opened[0])).not.toThrow()
  })

  it('built before the app creates its instance, uses that instance from the first request', async () => {
    vi.stubEnv('KEYWARD_DATABASE_URL', databasePath())
    const guard = createGuard()
    const store = sqliteStore({ path: databasePath() })
    await store.migrate()
    const kw = instance({ store, tokenPrefix: 'myapp' })
    const { token, record } = await kw.tokens.create({ userId: 'ada', name: 'CI' })
    expect(await guard.authenticate(`Bearer ${token}`, '/')).toMatchObject({
      ok: true,
      principal: { userId: 'ada' },
    })
    await kw.tokens.revoke(record.id)
    expect(await guard.authenticate(`Bearer ${token}`, '/')).toMatchObject({
      ok: false,
      failure: { status: 401 },
    })
    expect(openInstances()).toEqual([kw])
  })

  it('built before several instances, fails each request with the same error', async () => {
    const guard = createGuard()
    instance()
    instance()
    expect(() => guard.authenticate('Bearer x', '/')).toThrow(/2 Keyward instances in this process/)
  })

  it('with none open, comes from the environment once; an instance the app creates afterwards is warned about', async () => {
    vi.stubEnv('KEYWARD_DATABASE_URL', databasePath())
    const guard = createGuard()
    await guard.authenticate(undefined, '/')
    const [fromEnvironment] = openInstances() as Keyward[]
    expect(fromEnvironment).toBeDefined()
    opened.push(fromEnvironment as Keyward)
    expect(defaultKeyward()).toBe(fromEnvironment)
    const warnings: string[] = []
    instance({ logger: { warn: (message) => warnings.push(message) } })
    expect(warnings).toEqual([expect.stringMatching(/second Keyward instance .* patAuth\(kw\)/)])
  })

  it('counts instances registered by another copy of the core (a registered symbol on globalThis)', async () => {
    const slot = (globalThis as Record<symbol, { open: Set<object> }>)[Symbol.for('keyward.instances')]
    const other = { tokenPrefix: 'other', check: () => ({ ok: false }) }
    slot?.open.add(other)
    try {
      expect(defaultKeyward()).toBe(other)
    } finally {
      slot?.open.delete(other)
    }
  })
})
