import { describe, expect, it } from 'vitest'
import { appSessionPrincipal } from './app-session.js'
import { isKeywardError } from './errors.js'
import { createGuard } from './http.js'
import type { Keyward } from './keyward.js'

function thrown(run: () => unknown): { code: string; message: string } {
  try {
    run()
  } catch (error) {
    if (isKeywardError(error)) return error
    throw error
  }
  throw new Error('did not throw')
}

describe('appSessionPrincipal', () => {
  it('turns { userId, scopes } into a frozen session principal with sorted, distinct scopes', () => {
    const principal = appSessionPrincipal({ userId: 'ada', scopes: ['repo:write', 'repo:read', 'repo:read'] })
    expect(principal).toEqual({
      kind: 'session',
      userId: 'ada',
      scopes: ['repo:read', 'repo:write'],
      expiresAt: null,
    })
    expect(Object.isFrozen(principal)).toBe(true)
    expect(Object.isFrozen(principal?.scopes)).toBe(true)
    expect(appSessionPrincipal({ userId: 'ada', scopes: [] })?.scopes).toEqual([])
  })

  it('null and undefined are no one', () => {
    expect(appSessionPrincipal(null)).toBeNull()
    expect(appSessionPrincipal(undefined)).toBeNull()
  })

  it('refuses anything else as a programming error, naming what is wrong', () => {
    expect(thrown(() => appSessionPrincipal('ada')).message).toMatch(
      /must return \{ userId, scopes \}.*got string/,
    )
    expect(thrown(() => appSessionPrincipal({ id: 'ada', userId: 'ada', scopes: [] })).message).toMatch(
      /unknown key "id".*not the app's user object itself/,
    )
    expect(thrown(() => appSessionPrincipal({ userId: '', scopes: [] })).message).toMatch(
      /userId appSession returned/,
    )
    expect(thrown(() => appSessionPrincipal({ userId: 'a\u0000b', scopes: [] })).code).toBe(
      'invalid_argument',
    )
    expect(thrown(() => appSessionPrincipal({ userId: 42, scopes: [] })).code).toBe('invalid_argument')
    expect(thrown(() => appSessionPrincipal({ userId: 'ada' })).message).toMatch(/scopes as an array/)
    expect(thrown(() => appSessionPrincipal({ userId: 'ada', scopes: 'repo:read' })).message).toMatch(
      /scopes as an array/,
    )
    const badScope = thrown(() => appSessionPrincipal({ userId: 'ada', scopes: ['repo read'] }))
    expect([badScope.code, badScope.message]).toEqual(['invalid_scope', expect.stringMatching(/bad scopes/)])
    expect(
      thrown(() => appSessionPrincipal({ userId: 'ada', scopes: Array(101).fill('a') })).message,
    ).toMatch(/at most 100 scopes/)
  })
})

describe('patAuth({ appSession })', () => {
  const kw = { check: () => ({ ok: false }) } as unknown as Keyward

  it('validates the option when patAuth() is called', () => {
    expect(() => createGuard({ keyward: kw, appSession: 'user' } as never)).toThrow(
      /appSession` must be a function/,
    )
    expect(() => createGuard({ keyward: kw, accept: 'pat', appSession: () => null })).toThrow(/accept: 'pat'/)
    expect(() => createGuard({ keyward: kw, csrf: false })).toThrow(
      /set `sessionCookie` too, or `appSession`/,
    )
    expect(() =>
      createGuard({ keyward: kw, appSession: () => null, csrf: { allowSameSite: true } }),
    ).not.toThrow()
  })

  it('is not called when the request has an Authorization header', async () => {
    let calls = 0
    const guard = createGuard({
      keyward: {
        check: () => ({ ok: false, error: { code: 'invalid_token', status: 401, description: 'x' } }),
      } as never,
      appSession: () => {
        calls++
        return { userId: 'ada', scopes: [] }
      },
    })
    expect(await guard.authenticate('Bearer junk', '/', {}, {})).toMatchObject({ ok: false })
    expect(calls).toBe(0)
    expect(await guard.authenticate(undefined, '/', {}, {})).toMatchObject({
      ok: true,
      principal: { userId: 'ada' },
    })
    expect(calls).toBe(1)
  })
})
