import { type Backend, backends } from '@keyward/core/internal/testing'
import { describe } from 'vitest'
import { appSessionCases } from './app-session-cases.js'
import { bearerCases } from './bearer-cases.js'
import { caseContext } from './case-context.js'
import { cookieCases } from './cookie-cases.js'
import type { Harness } from './harness.js'
import { hostileRequestCases } from './hostile-request-cases.js'
import { sessionCases } from './session-cases.js'
import { unavailableCases } from './unavailable-cases.js'
import { upstreamCases } from './upstream-cases.js'

function suite(harness: Harness, backend: Backend): void {
  describe(`${harness.name} conformance on ${backend.name}`, () => {
    const context = caseContext(harness, backend)
    bearerCases(context)
    unavailableCases(context)
    upstreamCases(context)
    cookieCases(context)
    hostileRequestCases(context)
    sessionCases(context)
    appSessionCases(context)
  })
}

/** Every case of the shared behaviour, run for one framework against every store backend. */
export async function conformance(harness: Harness): Promise<void> {
  for (const backend of await backends()) suite(harness, backend)
}
