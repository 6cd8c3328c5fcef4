import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward, type KeywardStore, sha256Hasher } from '@keyward/core'
import { postgresStore } from '@keyward/core/postgres'
import { sqliteStore } from '@keyward/core/sqlite'
import { type AppProcess, postgresBackend, startAppProcess, TEST_DATABASE_URL } from '@keyward/test-kit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { assertBuilt, CONFIG, cli, SERVER } from '../fixtures/harness.js'

/**
 * The point of a revoke from the command line: a server already running on the same database,
 * which has the token verified and cached, refuses it within the bound the store gives once
 * `keyward tokens revoke` (or `sessions bump`) has returned: Postgres NOTIFY, the SQLite poll.
 */

assertBuilt()
const pg = await postgresBackend()
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-server-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Polls `check` (bounded); returns the milliseconds it took to hold. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now()
  while (!(await check())) {
    if (performance.now() - started > ms) throw new Error(`not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return performance.now() - started
}

type Setup = {
  name: string
  boundMs: number
  channel: RegExp
  skip: boolean
  env(): Promise<Record<string, string>>
  /** The store keyward.config.ts opens for `env`, to ask an instance on it for its propagation. */
  store(env: Record<string, string>): KeywardStore
}

/** What kw.propagation() says for the config's store (the config keeps the default cache settings). */
async function statedBound(store: KeywardStore): Promise<number> {
  const kw = createKeyward({ store, hasher: sha256Hasher() })
  try {
    return (await kw.propagation()).boundMs
  } finally {
    await kw.close()
  }
}

/** The bound the CLI printed after a revoke or a bump: `… refuse it within 1250 ms (…)`. */
function printedBound(stderr: string): number {
  const found = /refuse it within (\d+) ms \(/.exec(stderr)?.[1]
  if (found === undefined) throw new Error(`no bound in: ${stderr}`)
  return Number(found)
}

const setups: Setup[] = [
  {
    name: 'SQLite (the invalidation table, polled every 250 ms)',
    boundMs: 1000,
    channel: /on this SQLite file refuse it within \d+ ms \(their poll of its invalidation table\)/,
    skip: false,
    async env() {
      const path = join(dir, `${Math.random().toString(36).slice(2)}.db`)
      const store = sqliteStore({ path })
      await store.migrate()
      await store.close()
      return { CLI_TEST_SQLITE_PATH: path }
    },
    store: (env) => sqliteStore({ path: env.CLI_TEST_SQLITE_PATH as string }),
  },
  {
    name: 'Postgres (LISTEN/NOTIFY)',
    boundMs: 500,
    channel: /on this database refuse it within \d+ ms \(Postgres NOTIFY\)/,
    skip: pg === null,
    async env() {
      const location = (await pg?.create())?.location
      return {
        CLI_TEST_STORE: 'postgres',
        CLI_TEST_DATABASE_URL: TEST_DATABASE_URL,
        CLI_TEST_SCHEMA: location?.schema ?? '',
        CLI_TEST_TABLE_PREFIX: location?.tablePrefix ?? '',
      }
    },
    store: (env) =>
      postgresStore({
        url: TEST_DATABASE_URL,
        schema: env.CLI_TEST_SCHEMA as string,
        tablePrefix: env.CLI_TEST_TABLE_PREFIX as string,
      }),
  },
]

for (const setup of setups) {
  describe.skipIf(setup.skip)(`a running server, ${setup.name}`, () => {
    const running: AppProcess[] = []
    afterEach(async () => {
      await Promise.all(running.splice(0).map((server) => server.stop()))
    })

    it(`refuses a token within ${setup.boundMs} ms of \`keyward tokens revoke\`, and a session of \`sessions bump\``, async () => {
      const env = await setup.env()
      const server = await startAppProcess(SERVER, env)
      running.push(server)
      const keyward = (args: string[]) => cli(['--config', CONFIG, ...args], { env })

      const created = await keyward(['tokens', 'create', '--user', 'u1', '--name', 'server test'])
      expect(created.code, created.stderr).toBe(0)
      const pat = { authorization: `Bearer ${created.stdout.trimEnd()}` }
      // Verified and cached by the server: from here only an invalidation can make it refuse.
      expect((await server.request('GET', '/me', pat)).status).toBe(200)
      expect((await server.request('GET', '/me', pat)).body).toMatchObject({ kind: 'pat', userId: 'u1' })
      // The server opened its store on that first request; its invalidation channel is listening.
      await within(5000, async () => (await server.request('GET', '/subscribed')).body === true)

      const id = created.stdout.split('_')[1] as string
      const revoked = await keyward(['tokens', 'revoke', id])
      expect(revoked.code, revoked.stderr).toBe(0)
      expect(revoked.stderr).toMatch(setup.channel)
      // The bound printed is the one the core states for this store, and the server kept to it.
      const stated = await statedBound(setup.store(env))
      expect(printedBound(revoked.stderr)).toBe(stated)
      expect(setup.boundMs).toBeLessThanOrEqual(stated)
      const revokeMs = await within(
        setup.boundMs,
        async () => (await server.request('GET', '/me', pat)).status === 401,
      )

      const session = (await server.request('POST', '/session/u2')).body as { token: string }
      const bearer = { authorization: `Bearer ${session.token}` }
      expect((await server.request('GET', '/me', bearer)).status).toBe(200)
      const bumped = await keyward(['sessions', 'bump', '--user', 'u2'])
      expect(bumped.code, bumped.stderr).toBe(0)
      expect(bumped.stderr).toMatch(setup.channel)
      expect(printedBound(bumped.stderr)).toBe(stated)
      const bumpMs = await within(
        setup.boundMs,
        async () => (await server.request('GET', '/me', bearer)).status === 401,
      )
      console.info(
        `${setup.name}: the server refused the token ${revokeMs.toFixed(0)} ms after \`keyward tokens revoke\` returned, the session ${bumpMs.toFixed(0)} ms after \`sessions bump\``,
      )
    })
  })
}

describe('a running server without an invalidation channel (SQLite, notify: false)', () => {
  let server: AppProcess | null = null
  afterEach(async () => {
    await server?.stop()
  })

  it('keeps a revoked token until its cache entry expires, as the CLI says: the test above is not trivial', async () => {
    const path = join(dir, 'no-bus.db')
    const store = sqliteStore({ path })
    await store.migrate()
    await store.close()
    const env = { CLI_TEST_SQLITE_PATH: path, CLI_TEST_NO_BUS: '1' }
    server = await startAppProcess(SERVER, env)
    const keyward = (args: string[]) => cli(['--config', CONFIG, ...args], { env })
    const created = await keyward(['tokens', 'create', '--user', 'u1', '--name', 'no bus'])
    const pat = { authorization: `Bearer ${created.stdout.trimEnd()}` }
    expect((await server.request('GET', '/me', pat)).status).toBe(200)
    const revoked = await keyward(['tokens', 'revoke', created.stdout.split('_')[1] as string])
    expect(revoked.code, revoked.stderr).toBe(0)
    expect(revoked.stderr).toContain(
      'This configuration has no invalidation channel: running servers catch up when their cache entries expire, within 10 min (cache.ttl).',
    )
    // Twice the bound the SQLite channel gives, and still served from the server's cache.
    const until = performance.now() + 2000
    while (performance.now() < until) {
      expect((await server.request('GET', '/me', pat)).status).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })
})
