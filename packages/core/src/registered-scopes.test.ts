import { afterEach, describe, expect, it } from 'vitest'
import { isKeywardError } from './errors.js'
import { argon2Hasher } from './hashing.js'
import { openInstances } from './instances.js'
import { createKeyward, type Keyward, type KeywardOptions } from './keyward.js'
import { assertRegisteredScopes } from './registered-scopes.js'
import { defineScopes } from './scope-registry.js'
import { sqliteBackend } from './testing/backends.js'

const backend = sqliteBackend()
const scopes = defineScopes({
  'repo:read': 'Read your repositories',
  'billing:*': 'Everything about billing',
})

// The instances are process-wide: every case closes what it opened, so that the next starts at none.
const opened: Keyward[] = []
afterEach(async () => {
  for (const kw of opened.splice(0)) await kw.close()
  expect(openInstances()).toEqual([])
})

async function instance(options: KeywardOptions): Promise<Keyward> {
  const { store } = await backend.create()
  const kw = createKeyward({
    store,
    hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
    logger: { warn: () => {} },
    ...options,
  })
  opened.push(kw)
  return kw
}

function thrownBy(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  return undefined
}

describe('assertRegisteredScopes (the run-time half of the scope registry)', () => {
  it('throws invalid_option for a scope the registry lacks, naming it and the declared ones', async () => {
    await instance({ scopes })
    const error = thrownBy(() => assertRegisteredScopes(['repo:read', 'repo:raed'], 'requireScope'))
    expect(isKeywardError(error) && error.code).toBe('invalid_option')
    expect((error as Error).message).toContain('requireScope(): unknown scope "repo:raed"')
    expect((error as Error).message).toContain('repo:read, billing:*')
  })

  it('passes a declared scope and one a declared wildcard covers', async () => {
    await instance({ scopes })
    expect(assertRegisteredScopes(['repo:read'], 'requireScope')).toBe(true)
    expect(assertRegisteredScopes(['billing:invoices', 'billing:*'], 'requireAnyScope')).toBe(true)
    expect(thrownBy(() => assertRegisteredScopes(['billing'], 'requireScope'))).toMatchObject({
      code: 'invalid_option',
    })
  })

  it('checks nothing when no instance is open, until the first use', () => {
    expect(assertRegisteredScopes(['repo:raed'], 'requireScope')).toBe(false)
    expect(assertRegisteredScopes(['repo:raed'], 'requireScope', true)).toBe(true)
  })

  it('passes any scope while an open instance has no registry (a plain list, or none)', async () => {
    await instance({ scopes: ['repo:read'] })
    expect(assertRegisteredScopes(['anything:at-all'], 'requireScope')).toBe(true)
    await instance({ scopes })
    expect(assertRegisteredScopes(['anything:at-all'], 'requireScope')).toBe(true)
  })

  it('with several registries open, takes a scope any of them declares', async () => {
    await instance({ scopes })
    await instance({ scopes: defineScopes({ 'notes:read': 'Read your notes' }) })
    expect(assertRegisteredScopes(['notes:read'], 'requireScope')).toBe(true)
    expect(assertRegisteredScopes(['repo:read'], 'requireScope')).toBe(true)
    const error = thrownBy(() => assertRegisteredScopes(['notes:write'], 'requireScope'))
    expect((error as Error).message).toContain('repo:read, billing:*, notes:read')
  })
})
