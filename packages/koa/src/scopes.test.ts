import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  argon2Hasher,
  createKeyward,
  defineScopes,
  type Keyward,
  type KeywardOptions,
  type RequiredScope,
} from '@keyward/core'
import { sqliteBackend } from '@keyward/core/internal/testing'
import Koa, { type Middleware } from 'koa'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { patAuth, requireAnyScope, requireScope } from './index.js'

// Typing with a registered registry is checked in types-registered/ (module augmentation is
// global to a compilation, so it has one of its own).
const scopes = defineScopes({
  'repo:read': 'Read your repositories',
  'repo:write': 'Push to your repositories',
})
const backend = sqliteBackend()

// The open instances are process-wide: every case closes what it opened.
const opened: Keyward[] = []
afterEach(async () => {
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

async function bearer(kw: Keyward, granted: string[]): Promise<Record<string, string>> {
  const { token } = await kw.tokens.create({ userId: 'u1', name: 'ci', scopes: granted })
  return { authorization: `Bearer ${token}` }
}

async function served(app: Koa, use: (base: string) => Promise<void>): Promise<void> {
  const server = createServer(app.callback()).listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

/** An app behind patAuth answering `ok` on each path of `routes` that its guard lets through. */
function guarded(kw: Keyward, routes: Record<string, Middleware>): Koa {
  const app = new Koa()
  app.use(patAuth(kw))
  app.use(async (ctx, next) => {
    const guard = routes[ctx.path]
    if (guard === undefined) return next()
    await guard(ctx, async () => {
      ctx.body = 'ok'
    })
  })
  return app
}

function refusal(build: () => Middleware): unknown {
  try {
    build()
  } catch (error) {
    return error
  }
  return undefined
}

describe('koa requireScope with a scope registry', () => {
  it('takes any string while no registry is registered', () => {
    expectTypeOf(requireScope).parameters.toEqualTypeOf<string[]>()
    expectTypeOf(requireAnyScope).parameters.toEqualTypeOf<RequiredScope[]>()
    expectTypeOf(requireScope).toBeCallableWith('anything:at-all')
  })

  it('guards declared scopes as before', async () => {
    const kw = await instance({ scopes })
    const app = guarded(kw, { '/read': requireScope('repo:read'), '/write': requireAnyScope('repo:write') })
    const headers = await bearer(kw, ['repo:read'])
    await served(app, async (base) => {
      expect((await fetch(`${base}/read`, { headers })).status).toBe(200)
      const refused = await fetch(`${base}/write`, { headers })
      expect(refused.status).toBe(403)
      expect(refused.headers.get('www-authenticate')).toContain('scope="repo:write"')
    })
  })

  it('refuses at start-up a guard for a scope the registry lacks, naming it and the declared ones', async () => {
    await instance({ scopes })
    for (const build of [() => requireScope('repo:read', 'repo:raed'), () => requireAnyScope('repo:raed')]) {
      expect(refusal(build)).toMatchObject({
        code: 'invalid_option',
        message: expect.stringMatching(/unknown scope "repo:raed".*repo:read, repo:write/),
      })
    }
  })

  it('refuses on every request a guard built before its instance, from the first', async () => {
    const typo = requireScope('repo:raed')
    const declared = requireScope('repo:read')
    const kw = await instance({ scopes })
    const errors: unknown[] = []
    const app = guarded(kw, { '/typo': typo, '/declared': declared })
    app.on('error', (error) => errors.push(error))
    const headers = await bearer(kw, ['repo:read'])
    await served(app, async (base) => {
      expect((await fetch(`${base}/declared`, { headers })).status).toBe(200)
      expect((await fetch(`${base}/typo`, { headers })).status).toBe(500)
      expect((await fetch(`${base}/typo`, { headers })).status).toBe(500)
    })
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatchObject({
      code: 'invalid_option',
      message: expect.stringContaining('requireScope(): unknown scope "repo:raed"'),
    })
  })

  it('keeps plain string scopes as they were: a scope outside the list answers 403', async () => {
    const kw = await instance({ scopes: ['repo:read'] })
    const app = guarded(kw, { '/admin': requireScope('admin') })
    const headers = await bearer(kw, ['repo:read'])
    await served(app, async (base) => {
      expect((await fetch(`${base}/admin`, { headers })).status).toBe(403)
    })
  })
})
