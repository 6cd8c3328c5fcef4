import type { RequiredScope } from '@keyward/core'
import { scopeRegistryConformance } from '@keyward/test-kit'
import { Hono, type MiddlewareHandler } from 'hono'
import { expectTypeOf } from 'vitest'
import { type KeywardEnv, patAuth, requireAnyScope, requireScope } from './index.js'

scopeRegistryConformance<MiddlewareHandler>({
  name: 'hono',
  requireScope,
  requireAnyScope,
  app(kw, routes, errors) {
    const app = new Hono<KeywardEnv>()
    app.onError((error, c) => {
      errors.push(error)
      return c.text('failed', 500)
    })
    app.use('*', patAuth(kw))
    for (const [path, guard] of Object.entries(routes)) app.get(path, guard, (c) => c.text('ok'))
    return {
      async request(path, headers = {}) {
        const response = await app.request(path, { headers })
        return { status: response.status, headers: response.headers, body: await response.text() }
      },
    }
  },
  typeChecks() {
    expectTypeOf(requireScope).parameters.toEqualTypeOf<string[]>()
    expectTypeOf(requireAnyScope).parameters.toEqualTypeOf<RequiredScope[]>()
    expectTypeOf(requireScope).toBeCallableWith('anything:at-all')
  },
})
