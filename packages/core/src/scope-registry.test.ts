import { describe, expect, expectTypeOf, it } from 'vitest'
import { isKeywardError, type KeywardErrorCode } from './errors.js'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type KeywardOptions } from './keyward.js'
import {
  defineScopes,
  type RegisteredScope,
  type RequiredScope,
  type ScopeRegistry,
} from './scope-registry.js'
import { sqliteBackend } from './testing/backends.js'

const backend = sqliteBackend()

async function instance(options: KeywardOptions) {
  const { store } = await backend.create()
  return createKeyward({
    store,
    hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
    logger: { warn: () => {} },
    ...options,
  })
}

function refusal(run: () => unknown): { code: KeywardErrorCode; message: string } {
  try {
    run()
  } catch (error) {
    if (isKeywardError(error)) return { code: error.code, message: error.message }
    throw error
  }
  throw new Error('expected a KeywardError')
}

describe('defineScopes()', () => {
  it('returns a frozen registry of the scopes in declaration order, typed by their names', () => {
    const scopes = defineScopes({
      'repo:read': 'Read your repositories',
      'repo:write': 'Push to your repositories',
      admin: 'Administer the organisation',
    })
    expect(scopes.scopes).toEqual([
      { name: 'repo:read', description: 'Read your repositories' },
      { name: 'repo:write', description: 'Push to your repositories' },
      { name: 'admin', description: 'Administer the organisation' },
    ])
    expect(scopes.names).toEqual(['repo:read', 'repo:write', 'admin'])
    expect(Object.isFrozen(scopes) && Object.isFrozen(scopes.scopes) && Object.isFrozen(scopes.names)).toBe(
      true,
    )
    expect(scopes.scopes.every((scope) => Object.isFrozen(scope))).toBe(true)
    expectTypeOf(scopes).toEqualTypeOf<ScopeRegistry<'repo:read' | 'repo:write' | 'admin'>>()
    expectTypeOf(scopes.names).toEqualTypeOf<readonly ('repo:read' | 'repo:write' | 'admin')[]>()
  })

  it('refuses a name that is not a scope token, with the scope error of a plain list', () => {
    expect(refusal(() => defineScopes({ 'repo read': 'Read' }))).toMatchObject({
      code: 'invalid_scope',
      message: expect.stringContaining('"repo read"'),
    })
    expect(refusal(() => defineScopes({ '': 'Nothing' })).code).toBe('invalid_scope')
  })

  it('refuses a missing, blank, non-string or over-long description, naming the scope', () => {
    for (const description of ['', '   ', 42, null, undefined, 'x'.repeat(201)]) {
      const { code, message } = refusal(() =>
        defineScopes({ 'repo:read': 'Read', 'repo:write': description as string }),
      )
      expect(code).toBe('invalid_option')
      expect(message).toContain('"repo:write"')
    }
    expect(defineScopes({ 'repo:read': 'x'.repeat(200) }).scopes[0]?.description).toHaveLength(200)
  })

  it('refuses an empty registry and anything but an object of descriptions', () => {
    expect(refusal(() => defineScopes({}))).toMatchObject({
      code: 'invalid_option',
      message: expect.stringContaining('at least one scope'),
    })
    for (const value of [null, ['repo:read'], 'repo:read']) {
      expect(refusal(() => defineScopes(value as never)).code).toBe('invalid_option')
    }
  })

  it('leaves the typing to string while no registry is registered (module augmentation)', () => {
    expectTypeOf<RegisteredScope>().toEqualTypeOf<string>()
    expectTypeOf<RequiredScope>().toEqualTypeOf<string>()
  })
})

describe('createKeyward({ scopes }) with a registry', () => {
  it('lists the scopes with their descriptions on kw.scopes and takes them as the allow-list', async () => {
    const scopes = defineScopes({
      'repo:read': 'Read your repositories',
      'repo:*': 'Everything on repositories',
    })
    const kw = await instance({ scopes })
    try {
      expect(kw.scopes).toEqual([
        { name: 'repo:read', description: 'Read your repositories' },
        { name: 'repo:*', description: 'Everything on repositories' },
      ])
      expect(Object.isFrozen(kw.scopes)).toBe(true)
      const { record } = await kw.tokens.create({ userId: 'u1', name: 'ci', scopes: ['repo:*'] })
      expect(record.scopes).toEqual(['repo:*'])
      await expect(
        kw.tokens.create({ userId: 'u1', name: 'ci', scopes: ['repo:write'] }),
      ).rejects.toMatchObject({ code: 'unknown_scope' })
    } finally {
      await kw.close()
    }
  })

  it('keeps a plain list as before: descriptions null, duplicates folded', async () => {
    const kw = await instance({ scopes: ['repo:read', 'admin', 'repo:read'] })
    try {
      expect(kw.scopes).toEqual([
        { name: 'repo:read', description: null },
        { name: 'admin', description: null },
      ])
    } finally {
      await kw.close()
    }
  })

  it('checks a registry again: a forged one with a name twice or no description is refused', () => {
    const forged = (scopes: unknown) => {
      const registry = { scopes, names: [] }
      Object.defineProperty(registry, Symbol.for('keyward.scopeRegistry'), { value: true })
      return registry as unknown as ScopeRegistry
    }
    const twice = forged([
      { name: 'repo:read', description: 'Read' },
      { name: 'repo:read', description: 'Read again' },
    ])
    expect(refusal(() => createKeyward({ scopes: twice }))).toMatchObject({
      code: 'invalid_option',
      message: expect.stringContaining('"repo:read" is declared twice'),
    })
    expect(refusal(() => createKeyward({ scopes: forged([{ name: 'admin', description: '' }]) })).code).toBe(
      'invalid_option',
    )
    expect(refusal(() => createKeyward({ scopes: forged('admin') })).code).toBe('invalid_option')
  })

  it('says to use defineScopes() when given an object of descriptions as it is', () => {
    const { code, message } = refusal(() =>
      createKeyward({ scopes: { 'repo:read': 'Read' } as unknown as ScopeRegistry }),
    )
    expect(code).toBe('invalid_option')
    expect(message).toMatch(/array of strings, or a registry from defineScopes\(\)/)
  })
})
