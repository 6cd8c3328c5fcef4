import { expect, it } from 'vitest'
import { bearer, type CaseContext } from './case-context.js'

/** A failure is sent over the 200 answer an upstream middleware prepared. */
export function upstreamCases({ setup, expectFailure }: CaseContext): void {
  it('a failure is sent even over a 200 answer an upstream middleware prepared', async () => {
    const { app, mint } = await setup()
    const reply = await app.request('/upstream-body', bearer('junk'))
    expectFailure(reply, 401, 'Bearer realm="test", error="invalid_token"', 'invalid_token')
    expect(reply.body).not.toContain('upstream')
    const missing = await app.request('/upstream-body')
    expectFailure(missing, 401, 'Bearer realm="test"', 'missing_token')
    expect((await app.request('/upstream-body', bearer((await mint()).token))).status).toBe(200)
  })

  it('a scope failure is sent even over a 200 answer an upstream middleware prepared', async () => {
    const { app, mint } = await setup()
    const reply = await app.request('/upstream-scope', bearer((await mint([])).token))
    expectFailure(
      reply,
      403,
      'Bearer realm="test", error="insufficient_scope", scope="repo:read"',
      'insufficient_scope',
    )
    expect(reply.body).not.toContain('upstream')
    expect((await app.request('/upstream-scope', bearer((await mint()).token))).status).toBe(200)
  })
}
