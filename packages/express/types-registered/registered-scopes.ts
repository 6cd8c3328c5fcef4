// Type-checked only (`npm run typecheck`): an app that registered its scope registry, where
// requireScope / requireAnyScope take only the declared names (and those a declared wildcard covers).
import { createKeyward, defineScopes, type RegisteredScope, type RequiredScope } from '@keyward/core'
import express from 'express'
import { expectTypeOf } from 'vitest'
import { patAuth, requireAnyScope, requireScope } from '../src/index.js'

export const scopes = defineScopes({
  'repo:read': 'Read your repositories',
  'repo:write': 'Push to your repositories',
  'billing:*': 'Everything about billing',
})

declare module '@keyward/core' {
  interface Register {
    scopes: typeof scopes
  }
}

expectTypeOf<RegisteredScope>().toEqualTypeOf<'repo:read' | 'repo:write' | 'billing:*'>()
expectTypeOf<RequiredScope>().toEqualTypeOf<'repo:read' | 'repo:write' | `billing:${string}`>()
expectTypeOf(requireScope).toBeCallableWith('repo:read', 'repo:write')
expectTypeOf(requireAnyScope).toBeCallableWith('billing:invoices', 'repo:read')
// @ts-expect-error a typo is a compile error
expectTypeOf(requireScope).toBeCallableWith('repo:raed')
// @ts-expect-error so is a scope the registry does not declare
expectTypeOf(requireAnyScope).toBeCallableWith('repo:read', 'admin')

export function routes(): express.Express {
  const kw = createKeyward({ scopes })
  const app = express()
  app.use(patAuth(kw))
  app.get('/repos', requireScope('repo:read'), (req, res) => {
    res.json(req.principal)
  })
  app.post('/invoices', requireAnyScope('billing:invoices', 'repo:write'), (_req, res) => {
    res.status(201).end()
  })
  // @ts-expect-error autocompleted names only: 'repo:raed' is not one of them
  app.get('/typo', requireScope('repo:raed'), (_req, res) => {
    res.end()
  })
  return app
}
