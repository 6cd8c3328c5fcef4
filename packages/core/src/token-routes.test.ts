import { describe, expect, it } from 'vitest'
import { KeywardError } from './errors.js'
import { describeLifetime, lifetimePolicy } from './lifetime.js'
import { answerForError } from './token-route-answers.js'
import { createInput, isJsonMediaType, pageInput } from './token-route-input.js'
import { createTokenRoutes, routeOf } from './token-routes.js'

describe('token routes, the pure decisions', () => {
  it('routeOf: each method and path to its action; a known path with another method is 405; others pass on', () => {
    expect(routeOf('GET', '/tokens')).toEqual({ action: 'list', id: null })
    expect(routeOf('POST', '/tokens/')).toEqual({ action: 'create', id: null })
    expect(routeOf('PATCH', '/tokens/abc')).toEqual({ action: 'update', id: 'abc' })
    expect(routeOf('POST', '/tokens/abc/rotate')).toEqual({ action: 'rotate', id: 'abc' })
    expect(routeOf('GET', '/scopes')).toEqual({ action: 'scopes', id: null })
    expect(routeOf('PUT', '/tokens/abc')).toEqual({ allow: 'GET, PATCH, DELETE' })
    for (const path of ['/', '', '/tokens/a/b', '/tokens/a/rotate/x', '/other', 'tokens']) {
      expect(routeOf('GET', path)).toBeNull()
    }
  })

  it('errors map to stable codes; an error that is neither the client’s nor an outage is left to the framework', () => {
    const answer = (code: ConstructorParameters<typeof KeywardError>[0]) =>
      answerForError(new KeywardError(code, 'why'), 7)
    expect(answer('unknown_scope')?.status).toBe(400)
    expect(answer('token_not_found')?.status).toBe(404)
    expect(answer('token_not_active')?.status).toBe(409)
    expect(answer('too_many_tokens')?.status).toBe(409)
    const outage = answer('store_error')
    expect([outage?.status, outage?.headers['Retry-After']]).toEqual([503, '7'])
    expect(outage?.body).not.toContain('why')
    expect(answer('invalid_option')).toBeNull()
    expect(answerForError(new Error('bug'), 5)).toBeNull()
  })

  it('a parsed body with a 1 MB name is 400 (a raw one that large is 413 before this)', () => {
    expect(() => createInput({ name: 'x'.repeat(1_000_000) }, new Set())).toThrow(/at most 255/)
    expect(createInput({ name: 'n', scopes: ['b', 'a', 'a'] }, new Set(['a', 'b']))).toEqual({
      name: 'n',
      scopes: ['a', 'b'],
      description: null,
    })
    expect(isJsonMediaType('application/json; charset=utf-8')).toBe(true)
    expect(isJsonMediaType('application/jsonx')).toBe(false)
    expect(pageInput(new URLSearchParams('?status=active&limit=5'))).toEqual({ status: 'active', limit: 5 })
  })

  it('kw.tokenLifetime: the policy as duration strings, and the choices a form offers within it', () => {
    expect(describeLifetime(lifetimePolicy())).toEqual({
      defaultExpiresIn: '90d',
      maxLifetime: '365d',
      allowNeverExpiring: false,
      choices: ['7d', '30d', '60d', '90d', '180d', '365d'],
    })
    expect(describeLifetime(lifetimePolicy({ maxLifetime: '45d', defaultExpiresIn: '36h' })).choices).toEqual(
      ['36h', '7d', '30d'],
    )
    expect(
      describeLifetime(lifetimePolicy({ allowNeverExpiring: true, defaultExpiresIn: null })),
    ).toMatchObject({
      defaultExpiresIn: null,
      maxLifetime: null,
      allowNeverExpiring: true,
    })
  })

  it('createTokenRoutes validates its options when called, and resolves no instance until a request', () => {
    expect(() => createTokenRoutes({ patScope: 'a b' })).toThrow(/not a valid scope/)
    expect(() => createTokenRoutes({ maxBodyBytes: 0 })).toThrow(/maxBodyBytes/)
    expect(() => createTokenRoutes({ csrf: { trustedOrigins: ['https://a.example/'] } })).toThrow(/origins/)
    expect(() => createTokenRoutes({ user: 'req.user' } as never)).toThrow(/`user` must be a function/)
    expect(typeof createTokenRoutes().handle).toBe('function')
  })
})
