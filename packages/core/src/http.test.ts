import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { authError, insufficientScopeError, unavailableError } from './errors.js'
import { authorizationFromRawHeaders, createGuard, defaultKeyward, failureFor } from './http.js'
import { realmOf, rememberRealm } from './request-slots.js'

describe('failureFor', () => {
  it('builds the RFC 6750 challenge, quoting and escaping the realm', () => {
    expect(failureFor(authError('missing_token'), 'my "api" \\ v2').headers['WWW-Authenticate']).toBe(
      'Bearer realm="my \\"api\\" \\\\ v2"',
    )
    const scope = failureFor(insufficientScopeError(['repo:read', 'repo:write']), 'api')
    expect(scope.status).toBe(403)
    expect(scope.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="repo:read repo:write"',
    )
    const down = failureFor(unavailableError(7), 'api')
    expect(down.headers).toEqual({
      'Cache-Control': 'no-store',
      'Content-Type': 'application/json; charset=utf-8',
      'Retry-After': '7',
    })
    expect(JSON.parse(failureFor(authError('invalid_token'), 'api').body)).toEqual({
      error: 'invalid_token',
      error_description: 'The access token is invalid, expired or revoked.',
    })
  })
})

describe('authorizationFromRawHeaders', () => {
  it('collects every Authorization line, in any case', () => {
    expect(authorizationFromRawHeaders(['Host', 'x', 'authorization', 'Bearer a'])).toBe('Bearer a')
    expect(authorizationFromRawHeaders(['AUTHORIZATION', '', 'Authorization', 'Bearer b'])).toEqual([
      '',
      'Bearer b',
    ])
    expect(authorizationFromRawHeaders(['Host', 'x'])).toBeUndefined()
  })
})

describe('rememberRealm', () => {
  it('keeps a custom realm on the request object under a registered symbol, nothing for the default', () => {
    const [plain, custom, frozen] = [{}, {}, Object.freeze({})]
    rememberRealm(plain, 'api')
    rememberRealm(custom, 'notes')
    rememberRealm(frozen, 'frozen')
    expect([realmOf(plain), realmOf(custom), realmOf(frozen), realmOf({})]).toEqual([
      'api',
      'notes',
      'frozen',
      'api',
    ])
    expect(Reflect.ownKeys(plain)).toEqual([])
    expect(Reflect.ownKeys(custom)).toEqual([Symbol.for('keyward.realm')])
    expect(JSON.stringify(custom)).toBe('{}')
  })
})

describe('createGuard', () => {
  it('validates its options when called', () => {
    expect(() => createGuard({ realm: 'é' })).toThrow(/realm/)
    expect(() => createGuard({ optional: 'yes' } as never)).toThrow(/optional/)
    expect(() => createGuard({ keyward: {} } as never)).toThrow(/keyward/)
    expect(() => createGuard({ onError: 'x' } as never)).toThrow(/onError/)
  })

  it('uses one process-wide instance from the environment when given none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-default-'))
    vi.stubEnv('KEYWARD_DATABASE_URL', join(dir, 'keyward.db'))
    try {
      const guard = createGuard()
      const kw = defaultKeyward()
      expect(defaultKeyward()).toBe(kw)
      const { token, record } = await kw.tokens.create({ userId: 'u', name: 'n' })
      const ok = await guard.authenticate(`Bearer ${token}`, '/')
      expect(ok).toMatchObject({ ok: true, principal: { userId: 'u' } })
      await kw.tokens.revoke(record.id)
      const revoked = await guard.authenticate(`Bearer ${token}`, '/')
      expect(revoked).toMatchObject({ ok: false, failure: { status: 401 } })
      await kw.close()
    } finally {
      vi.unstubAllEnvs()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
