import { argon2Hasher, createKeyward, type Keyward, type KeywardOptions } from '@keyward/core'
import { type Backend, manualClock } from '@keyward/core/internal/testing'
import { afterEach, expect } from 'vitest'
import type { App, Harness, Reply } from './harness.js'

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
export const SESSION_SECRET = 'conformance-session-secret-0123456789'

/**
 * The instances and apps of a suite's cases, each ended with its case: a file's cases would
 * otherwise hold their stores' connections until the file ends, near Postgres's 100 connections
 * with three suites. `open` makes a case's instance on a fresh store of `backend` with a manual
 * clock, the prefix `test` and cheap argon2 parameters; `serve` registers its app. Call inside the
 * suite's `describe`: it registers the hook.
 */
export function perCase(backend: Backend) {
  const apps: App[] = []
  const instances: Keyward[] = []
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close?.()))
    await Promise.all(instances.splice(0).map((kw) => kw.close().catch(() => {})))
  })
  return {
    async open(options: Omit<KeywardOptions, 'store' | 'clock'> = {}) {
      const { store } = await backend.create()
      const clock = manualClock()
      const kw = createKeyward({
        store,
        clock,
        tokenPrefix: 'test',
        hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
        logger: { warn: () => {} },
        ...options,
      })
      instances.push(kw)
      return { kw, store, clock }
    },
    serve<A extends App>(app: A): A {
      apps.push(app)
      return app
    },
  }
}

/**
 * What every case of one framework's suite on one backend starts from: `setup` (a fresh store, a
 * manual clock, an instance and the harness's app) and `expectFailure` (an error answer's shape).
 * Call inside the suite's `describe`: it registers the hook that ends each case's instance.
 */
export function caseContext(harness: Harness, backend: Backend) {
  const cases = perCase(backend)

  async function setup(options: Omit<KeywardOptions, 'store' | 'clock'> = {}) {
    const { kw, store, clock } = await cases.open({ sessions: { secret: SESSION_SECRET }, ...options })
    const mint = async (scopes: string[] = ['repo:read'], expiresInMs?: number) =>
      kw.tokens.create({
        userId: 'u1',
        name: 'n',
        scopes,
        ...(expiresInMs ? { expiresAt: new Date(clock.now() + expiresInMs) } : {}),
      })
    const app = cases.serve(harness.app(kw))
    return { kw, store, clock, mint, app }
  }

  const expectFailure = (reply: Reply, status: number, challenge: string | null, error: string) => {
    expect(reply.status).toBe(status)
    expect(reply.headers.get('www-authenticate')).toBe(challenge)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/)
    expect(JSON.parse(reply.body)).toMatchObject({ error, error_description: expect.any(String) })
  }

  return { setup, expectFailure }
}

export type CaseContext = ReturnType<typeof caseContext>
