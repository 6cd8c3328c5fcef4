import { fileURLToPath } from 'node:url'
import {
  type AppProcess,
  postgresBackend,
  startAppProcess,
  TEST_DATABASE_URL,
  testRedis,
} from '@keyward/test-kit'
import { afterEach, describe, expect, it } from 'vitest'

const SERVER = fileURLToPath(new URL('../fixtures/many-processes-server.ts', import.meta.url))
const pg = await postgresBackend()
const redis = await testRedis()

/** Polls `check` as fast as loopback allows; returns the milliseconds it took to become true. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now()
  while (!(await check())) {
    if (performance.now() - started > ms) throw new Error(`not within ${ms} ms`)
  }
  return performance.now() - started
}

const topologies = [
  { name: 'Postgres only (LISTEN/NOTIFY)', redis: false },
  { name: 'Postgres + Redis (pub/sub)', redis: true },
]

for (const topology of topologies) {
  describe.skipIf(pg === null || (topology.redis && redis === null))(
    `two app processes, ${topology.name}`,
    () => {
      const running: AppProcess[] = []
      afterEach(async () => {
        await Promise.all(running.splice(0).map((p) => p.stop()))
      })

      it('revoke on A is 401 on B within 100 ms; bump on A rejects the old session on B within 100 ms', async () => {
        const location = (await pg?.create())?.location
        const env: Record<string, string> = {
          KW_DATABASE_URL: TEST_DATABASE_URL,
          KW_SCHEMA: location?.schema ?? '',
          KW_TABLE_PREFIX: location?.tablePrefix ?? '',
          ...(topology.redis
            ? { KW_REDIS_URL: redis?.url ?? '', KW_REDIS_PREFIX: redis?.prefix() ?? '' }
            : {}),
        }
        const [a, b] = await Promise.all([startAppProcess(SERVER, env), startAppProcess(SERVER, env)])
        running.push(a, b)
        const minted = (await a.request('POST', '/admin/tokens')).body as { token: string; id: string }
        const pat = { authorization: `Bearer ${minted.token}` }
        // B verifies (and caches) the token, and its bus subscription is up, before A revokes.
        await within(5000, async () => (await b.request('GET', '/me', pat)).status === 200)
        await within(5000, async () => (await b.request('GET', '/me', pat)).status === 200)
        await new Promise((resolve) => setTimeout(resolve, 200))
        expect((await a.request('POST', `/admin/revoke/${minted.id}`)).status).toBe(200)
        const revokeMs = await within(100, async () => (await b.request('GET', '/me', pat)).status === 401)

        const session = (await a.request('POST', '/admin/sessions')).body as { token: string }
        const cookie = { authorization: `Bearer ${session.token}` }
        expect((await b.request('GET', '/me', cookie)).status).toBe(200)
        expect((await a.request('POST', '/admin/bump')).status).toBe(200)
        const bumpMs = await within(100, async () => (await b.request('GET', '/me', cookie)).status === 401)
        console.info(
          `${topology.name}: revoke reached the other process in ${revokeMs.toFixed(1)} ms, bump in ${bumpMs.toFixed(1)} ms`,
        )
      })
    },
  )
}
