/**
 * One benchmark server, in a process of its own: `VARIANT` names what guards the route `GET /r`,
 * which always answers `ok`. Prints `listening <port>` when ready.
 */
import { hash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { apiKey } from '@better-auth/api-key'
import { serve } from '@hono/node-server'
import { createKeyward, type Keyward, type KeywardOptions } from '@keyward/core'
import { postgresStore } from '@keyward/core/postgres'
import { redisCache } from '@keyward/core/redis'
import { sqliteStore } from '@keyward/core/sqlite'
import { patAuth as expressAuth } from '@keyward/express'
import { patAuth as honoAuth } from '@keyward/hono'
import { patAuth as koaAuth } from '@keyward/koa'
import { betterAuth } from 'better-auth'
import Database from 'better-sqlite3'
import express from 'express'
import { Hono, type MiddlewareHandler } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import Koa from 'koa'
import { LRUCache } from 'lru-cache'

const env = process.env
const variant = env.VARIANT ?? 'hono-bare'
const STATIC_TOKEN = env.STATIC_TOKEN ?? ''

// Printed at exit, so that the harness can see what the server did (Redis used, verifications run).
let instance: Keyward | null = null

function keyward() {
  const options: KeywardOptions = { tokenPrefix: 'bench', logger: { warn: () => {} } }
  if (variant.endsWith('-postgres')) {
    options.store = postgresStore({ url: env.PG_URL ?? '', schema: env.PG_SCHEMA ?? 'public' })
  } else {
    options.store = sqliteStore({ path: env.SQLITE_PATH ?? '' })
  }
  if (variant.endsWith('-redis'))
    options.sharedCache = redisCache({ url: env.REDIS_URL ?? '' }, { keyPrefix: env.REDIS_PREFIX ?? '' })
  if (variant.endsWith('-miss')) options.cache = { ttl: 0 }
  instance = createKeyward(options)
  return instance
}

// The floor of any design that hashes the token on every request: SHA-256 plus one LRU lookup.
const verified = new LRUCache<string, true>({ max: 10_000 })
verified.set(hash('sha256', `Bearer ${STATIC_TOKEN}`, 'base64'), true)
const hashedAndKnown = (authorization: string | undefined) =>
  verified.get(hash('sha256', authorization ?? '', 'base64')) === true

function listen(port: number) {
  console.info(`listening ${port}`)
}

async function hono(guard: MiddlewareHandler | null) {
  const app = new Hono()
  if (guard) app.use('/r', guard)
  app.get('/r', (c) => c.text('ok'))
  serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => listen(info.port))
}

if (variant === 'hono-bare') await hono(null)
else if (variant === 'hono-trivial') {
  await hono(async (c, next) => {
    if (c.req.header('authorization') !== `Bearer ${STATIC_TOKEN}`) return c.text('no', 401)
    await next()
  })
} else if (variant === 'hono-bearerauth') await hono(bearerAuth({ token: STATIC_TOKEN }))
else if (variant === 'hono-sha256-lru') {
  await hono(async (c, next) => {
    if (!hashedAndKnown(c.req.header('authorization'))) return c.text('no', 401)
    await next()
  })
} else if (variant.startsWith('hono-keyward')) await hono(honoAuth(keyward()) as MiddlewareHandler)
else if (variant === 'hono-better-auth') {
  const auth = betterAuth({
    database: new Database(env.SQLITE_PATH ?? ''),
    secret: 'benchmark-secret-benchmark-secret-0123',
    plugins: [apiKey({ rateLimit: { enabled: false } })],
    telemetry: { enabled: false },
  })
  await hono(async (c, next) => {
    const key = c.req.header('authorization')?.replace(/^Bearer /, '') ?? ''
    const result = await auth.api.verifyApiKey({ body: { key } })
    if (!result.valid) return c.text('no', 401)
    await next()
  })
} else if (variant.startsWith('express')) {
  const app = express()
  app.disable('etag')
  if (variant.startsWith('express-keyward')) app.use(expressAuth(keyward()))
  if (variant === 'express-sha256-lru')
    app.use((req, res, next) => {
      if (!hashedAndKnown(req.headers.authorization)) res.status(401).end('no')
      else next()
    })
  if (variant === 'express-trivial')
    app.use((req, res, next) => {
      if (req.headers.authorization !== `Bearer ${STATIC_TOKEN}`) res.status(401).end('no')
      else next()
    })
  app.get('/r', (_req, res) => {
    res.send('ok')
  })
  const server = app.listen(0, '127.0.0.1', () => listen((server.address() as AddressInfo).port))
} else if (variant.startsWith('koa')) {
  const app = new Koa()
  if (variant.startsWith('koa-keyward')) app.use(koaAuth(keyward()))
  if (variant === 'koa-sha256-lru')
    app.use(async (ctx, next) => {
      if (!hashedAndKnown(ctx.get('authorization'))) ctx.throw(401)
      await next()
    })
  if (variant === 'koa-trivial')
    app.use(async (ctx, next) => {
      if (ctx.get('authorization') !== `Bearer ${STATIC_TOKEN}`) ctx.throw(401)
      await next()
    })
  app.use((ctx) => {
    if (ctx.path === '/r') ctx.body = 'ok'
  })
  const server = createServer(app.callback()).listen(0, '127.0.0.1', () =>
    listen((server.address() as AddressInfo).port),
  )
} else {
  throw new Error(`unknown variant ${variant}`)
}

// A clean exit, so that --cpu-prof and similar flags can write their output.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (instance !== null) console.info(`stats ${JSON.stringify(instance.stats())}`)
    process.exit(0)
  })
