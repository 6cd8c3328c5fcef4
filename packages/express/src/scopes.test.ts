import type { RequiredScope } from '@keyward/core'
import { overLoopbackServer, scopeRegistryConformance } from '@keyward/test-kit'
import express, { type ErrorRequestHandler, type RequestHandler } from 'express'
import { expectTypeOf } from 'vitest'
import { patAuth, requireAnyScope, requireScope } from './index.js'

const ok: RequestHandler = (_req, res) => {
  res.send('ok')
}

scopeRegistryConformance<RequestHandler>({
  name: 'express',
  requireScope,
  requireAnyScope,
  app(kw, routes, errors) {
    const app = express()
    app.use(patAuth(kw))
    for (const [path, guard] of Object.entries(routes)) app.get(path, guard, ok)
    const failed: ErrorRequestHandler = (error, _req, res, _next) => {
      errors.push(error)
      res.status(500).send('failed')
    }
    app.use(failed)
    return overLoopbackServer(app)
  },
  typeChecks() {
    expectTypeOf(requireScope).parameters.toEqualTypeOf<string[]>()
    expectTypeOf(requireAnyScope).parameters.toEqualTypeOf<RequiredScope[]>()
    expectTypeOf(requireScope).toBeCallableWith('anything:at-all')
  },
})
