import { argon2Hasher, createKeyward, defineScopes, type Keyward, type KeywardOptions } from '@keyward/core'
import { sqliteBackend } from '@keyward/core/internal/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { RequestingApp } from './harness.js'

/**
 * What a framework must provide for the scope-registry suite: its guard factories, and an app
 * behind patAuth(kw) answering 200 `ok` on each path of `routes` that its guard lets through; an
 * error a guard throws is pushed onto `errors` and answered 500. `typeChecks` holds the adapter's
 * expectTypeOf checks on its own requireScope while no registry is registered. The guards take
 * plain strings here (methods, so an adapter's own typed guards fit): an app that registers a
 * registry (an example) compiles this file too, and the suite uses unregistered names on purpose.
 */
export type ScopeRegistryHarness<Guard> = {
  name: string
  requireScope(...scopes: string[]): Guard
  requireAnyScope(...scopes: string[]): Guard
  app(kw: Keyward, routes: Record<string, Guard>, errors: unknown[]): RequestingApp
  typeChecks(): void
}

// Typing with a registered registry is checked in each adapter's types-registered/ (module
// augmentation is global to a compilation, so it has one of its own).
const scopes = defineScopes({
  'repo:read': 'Read your repositories',
  'repo:write': 'Push to your repositories',
})

/** The run-time behaviour of requireScope/requireAnyScope with a scope registry, for one framework. */
export function scopeRegistryConformance<Guard>(harness: ScopeRegistryHarness<Guard>): void {
  const { requireScope, requireAnyScope } = harness
  const backend = sqliteBackend()
  describe(`${harness.name} requireScope with a scope registry`, () => {
    // The open instances and apps are process-wide: every case closes what it opened.
    const opened: Keyward[] = []
    const apps: RequestingApp[] = []
    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close?.()
      for (const kw of opened.splice(0)) await kw.close()
    })

    async function instance(options: Omit<KeywardOptions, 'store'>): Promise<Keyward> {
      const { store } = await backend.create()
      const kw = createKeyward({
        store,
        tokenPrefix: 'test',
        hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
        logger: { warn: () => {} },
        ...options,
      })
      opened.push(kw)
      return kw
    }

    function app(kw: Keyward, routes: Record<string, Guard>, errors: unknown[] = []): RequestingApp {
      const built = harness.app(kw, routes, errors)
      apps.push(built)
      return built
    }

    async function bearer(kw: Keyward, granted: string[]): Promise<Record<string, string>> {
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'ci', scopes: granted })
      return { authorization: `Bearer ${token}` }
    }

    it('takes any string while no registry is registered', harness.typeChecks)

    it('guards declared scopes as before', async () => {
      const kw = await instance({ scopes })
      const served = app(kw, { '/read': requireScope('repo:read'), '/write': requireAnyScope('repo:write') })
      const headers = await bearer(kw, ['repo:read'])
      expect((await served.request('/read', headers)).status).toBe(200)
      const refused = await served.request('/write', headers)
      expect(refused.status).toBe(403)
      expect(refused.headers.get('www-authenticate')).toContain('scope="repo:write"')
    })

    it('refuses at start-up a guard for a scope the registry lacks, naming it and the declared ones', async () => {
      await instance({ scopes })
      for (const build of [
        () => requireScope('repo:read', 'repo:raed'),
        () => requireAnyScope('repo:raed'),
      ]) {
        expect(build).toThrow(
          expect.objectContaining({
            code: 'invalid_option',
            message: expect.stringMatching(/unknown scope "repo:raed".*repo:read, repo:write/),
          }),
        )
      }
    })

    it('refuses on every request a guard built before its instance, from the first', async () => {
      const typo = requireScope('repo:raed')
      const declared = requireScope('repo:read')
      const kw = await instance({ scopes })
      const errors: unknown[] = []
      const served = app(kw, { '/typo': typo, '/declared': declared }, errors)
      const headers = await bearer(kw, ['repo:read'])
      expect((await served.request('/declared', headers)).status).toBe(200)
      expect((await served.request('/typo', headers)).status).toBe(500)
      expect((await served.request('/typo', headers)).status).toBe(500)
      expect(errors).toHaveLength(2)
      expect(errors[0]).toMatchObject({
        code: 'invalid_option',
        message: expect.stringContaining('requireScope(): unknown scope "repo:raed"'),
      })
    })

    it('keeps plain string scopes as they were: a scope outside the list answers 403', async () => {
      const kw = await instance({ scopes: ['repo:read'] })
      const served = app(kw, { '/admin': requireScope('admin') })
      const headers = await bearer(kw, ['repo:read'])
      expect((await served.request('/admin', headers)).status).toBe(403)
    })
  })
}
