import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { argon2Hasher, createKeyward } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'
import express from 'express'
import { afterEach, expect, it, vi } from 'vitest'
import { patAuth } from './index.js'

// Issue 20, silent failure 2, as a new user meets it: the app mints and revokes with its own
// instance on one SQLite file, and protects its routes with `patAuth()` and no argument.
// Each case closes what it opened: the instances it leaves open would be counted by the next.
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  vi.unstubAllEnvs()
})

async function appWithOwnInstance(tokenPrefix?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-one-instance-'))
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'app.db')
  vi.stubEnv('KEYWARD_DATABASE_URL', path)
  const store = sqliteStore({ path })
  await store.migrate()
  const kw = createKeyward({
    store,
    ...(tokenPrefix ? { tokenPrefix } : {}),
    hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
    logger: { warn: () => {} },
  })
  cleanups.push(() => kw.close())
  const app = express()
  app.use(patAuth())
  app.get('/me', (req, res) => {
    res.json(req.principal)
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  cleanups.push(() => new Promise((done) => server.close(() => done())))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const status = async (token: string) =>
    (await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } })).status
  return { kw, status }
}

it('patAuth() with no argument uses the instance the app created: a revoke refuses the next request', async () => {
  const { kw, status } = await appWithOwnInstance()
  const { token, record } = await kw.tokens.create({ userId: 'ada', name: 'CI' })
  expect(await status(token)).toBe(200)
  await kw.tokens.revoke(record.id)
  expect(await status(token)).toBe(401)
})

it('patAuth() with no argument accepts a token with the prefix of the instance the app created', async () => {
  const { kw, status } = await appWithOwnInstance('myapp')
  const { token } = await kw.tokens.create({ userId: 'ada', name: 'CI' })
  expect(token.startsWith('myapp_')).toBe(true)
  expect(await status(token)).toBe(200)
})
