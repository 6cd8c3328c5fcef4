import type { RequiredScope } from '@keyward/core'
import { overLoopbackServer, scopeRegistryConformance } from '@keyward/test-kit'
import Koa, { type Middleware } from 'koa'
import { expectTypeOf } from 'vitest'
import { patAuth, requireAnyScope, requireScope } from './index.js'

scopeRegistryConformance<Middleware>({
  name: 'koa',
  requireScope,
  requireAnyScope,
  app(kw, routes, errors) {
    const app = new Koa()
    app.use(patAuth(kw))
    app.use(async (ctx, next) => {
      const guard = routes[ctx.path]
      if (guard === undefined) return next()
      await guard(ctx, async () => {
        ctx.body = 'ok'
      })
    })
    app.on('error', (error) => errors.push(error))
    return overLoopbackServer(app.callback())
  },
  typeChecks() {
    expectTypeOf(requireScope).parameters.toEqualTypeOf<string[]>()
    expectTypeOf(requireAnyScope).parameters.toEqualTypeOf<RequiredScope[]>()
    expectTypeOf(requireScope).toBeCallableWith('anything:at-all')
  },
})
