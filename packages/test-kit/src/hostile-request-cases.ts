import { wrongSecret } from '@keyward/core/internal/testing'
import { expect, it } from 'vitest'
import { bearer, type CaseContext } from './case-context.js'
import { rawRequest } from './requests.js'

/** Hostile requests: a stranger flooding wrong secrets, a token in the query, huge and duplicated headers. */
export function hostileRequestCases({ setup, expectFailure }: CaseContext): void {
  it('a stranger flooding wrong secrets from one address cannot lock out the owner at another', async () => {
    const { app, mint } = await setup({ protection: { failuresPerToken: 2, failureWindow: '1m' } })
    const { token } = await mint()
    // A cold process: the owner's token has not been seen here yet.
    const stranger = { from: '127.0.0.2' }
    for (let n = 0; n < 6; n++) await app.request('/me', bearer(wrongSecret(token, n)), stranger)
    expectFailure(await app.request('/me', bearer(wrongSecret(token, 9)), stranger), 503, null, 'unavailable')
    const owner = await app.request('/me', bearer(token), { from: '127.0.0.3' })
    expect([owner.status, JSON.parse(owner.body).userId]).toEqual([200, 'u1'])
  })

  it('a token in an encoded query parameter is still refused alongside a header', async () => {
    const { app, mint } = await setup()
    const { token } = await mint()
    expect((await app.request('/me?access%5Ftoken=x', bearer(token))).status).toBe(400)
  })

  it('an 8 kB header is refused with no store read', async () => {
    const { app, kw } = await setup()
    expectFailure(
      await app.request('/me', { authorization: `Bearer ${'a'.repeat(8192)}` }),
      400,
      'Bearer realm="test", error="invalid_request"',
      'invalid_request',
    )
    expect(kw.stats().storeReads).toBe(0)
  })

  it('over a raw socket: two Authorization lines are 400; a header past Node’s limit is 431 and the server lives', async () => {
    const { app, mint } = await setup()
    const { token } = await mint()
    const server = await app.listen()
    try {
      const twice = await rawRequest(
        server.port,
        `GET /me HTTP/1.1\nHost: x\nAuthorization: Bearer ${token}\nAuthorization: Bearer ${token}\nConnection: close\n\n`,
      )
      expect(twice).toMatch(/^HTTP\/1\.1 400 /)
      expect(twice).toContain('error="invalid_request"')
      for (const [first, second] of [
        ['', `Bearer ${token}`],
        [`Bearer ${token}`, ''],
        ['Basic eDp5', `Bearer ${token}`],
      ]) {
        const reply = await rawRequest(
          server.port,
          `GET /me HTTP/1.1\nHost: x\nAuthorization: ${first}\nAuthorization: ${second}\nConnection: close\n\n`,
        )
        expect(reply).toMatch(/^HTTP\/1\.1 400 /)
      }
      const huge = await rawRequest(
        server.port,
        `GET /me HTTP/1.1\nHost: x\nAuthorization: Bearer ${'a'.repeat(20_000)}\nConnection: close\n\n`,
      )
      expect(huge).toMatch(/^HTTP\/1\.1 431 /)
      const after = await rawRequest(
        server.port,
        `GET /me HTTP/1.1\nHost: x\nAuthorization: Bearer ${token}\nConnection: close\n\n`,
      )
      expect(after).toMatch(/^HTTP\/1\.1 200 /)
    } finally {
      await server.close()
    }
  })
}
