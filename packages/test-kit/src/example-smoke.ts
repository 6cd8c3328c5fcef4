import { afterEach, describe, expect, it } from 'vitest'
import { demoToken, type RunningExample, startExample } from './smoke.js'

/** The smoke test every example runs: its real server, over HTTP, as the README's curl lines do. */
export function exampleSmokeTest(name: string, exampleDir: string): void {
  describe(`${name} example`, () => {
    let running: RunningExample | null = null
    afterEach(async () => {
      await running?.stop()
      running = null
    })

    it('serves notes to a token with the right scope, 401 without one, 403 without notes:write', async () => {
      running = await startExample(exampleDir)
      const token = demoToken(running.output())
      const auth = { authorization: `Bearer ${token}` }
      const list = await fetch(`${running.base}/notes`, { headers: auth })
      expect([list.status, await list.json()]).toEqual([200, []])
      const anonymous = await fetch(`${running.base}/notes`)
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="notes"')
      const write = await fetch(`${running.base}/notes`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'hi' }),
      })
      expect(write.status).toBe(403)
      expect(write.headers.get('www-authenticate')).toContain('scope="notes:write"')
      expect((await fetch(`${running.base}/health`)).status).toBe(200)
    })
  })
}
