import { describe, expect, it } from 'vitest'
import { authorize, grantCovers, normalizeScopes } from './scopes.js'

describe('scopes', () => {
  it.each([
    ['repo:read', 'repo:read', true],
    ['repo:*', 'repo:read', true],
    ['repo:*', 'repo:admin:x', true],
    ['*', 'anything:at:all', true],
    ['repo:*', 'repo', false],
    ['repo:*', 'repository:read', false],
    ['repo:read', 'REPO:READ', false],
    ['repo:read', 'repo:read:all', false],
    ['repo', 'repo:read', false],
    ['repo:read*', 'repo:reader', false],
  ])('%s covers %s: %s', (grant, required, expected) => {
    expect(grantCovers(grant, required)).toBe(expected)
  })

  it('checks all or any of the required scopes, and answers 401 without a principal', () => {
    const principal = { scopes: ['repo:read', 'notes:*'] }
    expect(authorize(principal, ['repo:read', 'notes:write'], 'all')).toBeNull()
    expect(authorize(principal, ['repo:read', 'admin'], 'all')).toMatchObject({
      code: 'insufficient_scope',
      status: 403,
      scope: ['repo:read', 'admin'],
    })
    expect(authorize(principal, ['admin', 'repo:read'], 'any')).toBeNull()
    expect(authorize(null, ['repo:read'], 'all')).toMatchObject({ code: 'missing_token', status: 401 })
  })

  it('validates new scopes against the allow-list, naming the unknown one', () => {
    const allow = new Set(['repo:read', 'repo:write'])
    expect(normalizeScopes(['repo:write', 'repo:read', 'repo:write'], allow)).toEqual([
      'repo:read',
      'repo:write',
    ])
    expect(() => normalizeScopes(['repo:delete'], allow)).toThrow(/Unknown scope "repo:delete"/)
    expect(() => normalizeScopes(['*'], allow)).toThrow(/Unknown scope "\*"/)
    expect(() => normalizeScopes(['has space'], null)).toThrow(/not a valid scope/)
    expect(normalizeScopes(['*'], null)).toEqual(['*'])
  })

  it('limits a scope list to 100 entries, as it limits each scope to 128 characters', () => {
    const list = Array.from({ length: 100 }, (_, i) => `s${i}`)
    expect(normalizeScopes(list, null)).toHaveLength(100)
    expect(() => normalizeScopes([...list, 'one:more'], null)).toThrow(/at most 100 scopes; got 101/)
    expect(() => normalizeScopes(['x'.repeat(129)], null)).toThrow(/1 to 128/)
  })
})
