import { type Backend, backends } from '@keyward/core/internal/testing'
import { describe } from 'vitest'
import { tokenRouteAuditCases } from './token-route-audit-cases.js'
import { tokenRouteCases } from './token-route-cases.js'
import { type TokenRoutesHarness, tokenRouteContext } from './token-route-context.js'
import { tokenRouteRefusalCases } from './token-route-refusal-cases.js'

function suite(harness: TokenRoutesHarness, backend: Backend): void {
  describe(`${harness.name} token routes on ${backend.name}`, () => {
    const context = tokenRouteContext(harness, backend)
    tokenRouteCases(context)
    tokenRouteRefusalCases(context)
    tokenRouteAuditCases(context)
  })
}

/** The token-management routes of one framework, against every store backend. */
export async function tokenRoutesConformance(harness: TokenRoutesHarness): Promise<void> {
  for (const backend of await backends()) suite(harness, backend)
}
