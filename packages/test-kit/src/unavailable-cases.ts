import { wrongSecret } from '@keyward/core/internal/testing'
import { expect, it } from 'vitest'
import { bearer, type CaseContext } from './case-context.js'

/** 503 with Retry-After and no challenge: the store down on a miss, a token id past its budget. */
export function unavailableCases({ setup, expectFailure }: CaseContext): void {
  it('503 with Retry-After and no challenge when the store is down on a miss', async () => {
    const { app, mint, store } = await setup()
    const { token } = await mint()
    await store.close()
    const reply = await app.request('/me', bearer(token))
    expect(reply.status).toBe(503)
    expect(reply.headers.get('retry-after')).toBe('5')
    expect(reply.headers.get('cache-control')).toBe('no-store')
    expect(reply.headers.get('www-authenticate')).toBeNull()
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'unavailable' })
  })

  it('503 with Retry-After and no challenge once wrong secrets for a token id pass the budget', async () => {
    const { app, mint, clock } = await setup({ protection: { failuresPerToken: 2, failureWindow: '1m' } })
    const { token } = await mint()
    const guess = (n: number) => bearer(wrongSecret(token, n))
    for (const n of [1, 2]) expect((await app.request('/me', guess(n))).status).toBe(401)
    clock.advance(20_000)
    const reply = await app.request('/me', guess(3))
    expectFailure(reply, 503, null, 'unavailable')
    expect(reply.headers.get('retry-after')).toBe('40')
    expect(reply.body).not.toContain(token.slice(-49))
  })
}
