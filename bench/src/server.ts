/**
 * One benchmark server, in a process of its own: `VARIANT` names what guards the route `GET /r`,
 * which always answers `ok`. Prints `listening <port>` when ready.
 *
 * Each variant imports only its own framework, guard and driver, as an application would: a server
 * that loaded every framework and driver of the benchmark would carry their start-up garbage into
 * its first full GC under load (see "V8 and the first miss" in docs/benchmarks.md).
 */
import { hash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Keyward, KeywardOptions } from '@keyward/core'
import type { MiddlewareHandler } from 'hono'

const env = process.env
const variant = env.VARIANT ?? 'hono-bare'
const STATIC_TOKEN = env.STATIC_TOKEN ?? ''

// Printed at exit, so that the harness can see what the server did (Redis used, verifications run).
let instance: Keyward | null = null

async function keyward(): Promise<Keyward> {
  const { createKeyward } = await import('@keyward/core')
  const options: KeywardOptions = { tokenPrefix: 'bench', logger: { warn: () => {} } }
  if (variant.endsWith('-postgres')) {
    const { postgresStore } = await import('@keyward/core/postgres')
    options.store = postgresStore({ url: env.PG_URL ?? '', schema: env.PG_SCHEMA ?? 'public' })
  } else {
    const { sqliteStore } = await import('@keyward/core/sqlite')
    options.store = sqliteStore({ path: env.SQLITE_PATH ?? '' })
  }
  if (variant.endsWith('-redis')) {
    const { redisCache } = await import('@keyward/core/redis')
    options.sharedCache = redisCache({ url: env.REDIS_URL ?? '' }, { keyPrefix: env.REDIS_PREFIX ?? '' })
  }
  if (variant.endsWith('-miss')) options.cache = { ttl: 0 }
  instance = createKeyward(options)
  return instance
}

// The floor of any design that hashes the token on every request: SHA-256 plus one LRU lookup.
async function sha256Lru(): Promise<(authorization: string | undefined) => boolean> {
  const { LRUCache } = await import('lru-cache')
  const verified = new LRUCache<string, true>({ max: 10_000 })
  verified.set(hash('sha256', `Bearer ${STATIC_TOKEN}`, 'base64'), true)
  return (authorization) => verified.get(hash('sha256', authorization ?? '', 'base64')) === true
}

function listen(port: number) {
  console.info(`listening ${port}`)
}

async function honoGuard(): Promise<MiddlewareHandler | null> {
  if (variant === 'hono-bare') return null
  if (variant === 'hono-trivial')
    return async (c, next) => {
      if (c.req.header('authorization') !== `Bearer ${STATIC_TOKEN}`) return c.text('no', 401)
      await next()
    }
  if (variant === 'hono-bearerauth') {
    const { bearerAuth } = await import('hono/bearer-auth')
    return bearerAuth({ token: STATIC_TOKEN })
  }
  if (variant === 'hono-sha256-lru') {
    const hashedAndKnown = await sha256Lru()
    return async (c, next) => {
      if (!hashedAndKnown(c.req.header('authorization'))) return c.text('no', 401)
      await next()
    }
  }
  if (variant.startsWith('hono-keyward')) {
    const { patAuth } = await import('@keyward/hono')
    return patAuth(await keyward()) as MiddlewareHandler
  }
  if (variant === 'hono-better-auth') {
    const [{ betterAuth }, { apiKey }, { default: Database }] = await Promise.all([
      import('better-auth'),
      import('@better-auth/api-key'),
      import('better-sqlite3'),
    ])
    const auth = betterAuth({
      database: new Database(env.SQLITE_PATH ?? ''),
      secret: 'benchmark-secret-benchmark-secret-0123',
      plugins: [apiKey({ rateLimit: { enabled: false } })],
      telemetry: { enabled: false },
    })
    return async (c, next) => {
      const key = c.req.header('authorization')?.replace(/^Bearer /, '') ?? ''
      const result = await auth.api.verifyApiKey({ body: { key } })
      if (!result.valid) return c.text('no', 401)
      await next()
    }
  }
  throw new Error(`unknown variant ${variant}`)
}

async function hono() {
  const [{ Hono }, { serve }] = await Promise.all([import('hono'), import('@hono/node-server')])
  const guard = await honoGuard()
  const app = new Hono()
  if (guard) app.use('/r', guard)
  app.get('/r', (c) => c.text('ok'))
  serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => listen(info.port))
}

async function expressServer() {
  const { default: express } = await import('express')
  const app = express()
  app.disable('etag')
  if (variant.startsWith('express-keyward')) {
    const { patAuth } = await import('@keyward/express')
    app.use(patAuth(await keyward()))
  } else if (variant === 'express-sha256-lru') {
    const hashedAndKnown = await sha256Lru()
    app.use((req, res, next) => {
      if (!hashedAndKnown(req.headers.authorization)) res.status(401).end('no')
      else next()
    })
  } else if (variant === 'express-trivial') {
    app.use((req, res, next) => {
      if (req.headers.authorization !== `Bearer ${STATIC_TOKEN}`) res.status(401).end('no')
      else next()
    })
  } else if (variant !== 'express-bare') throw new Error(`unknown variant ${variant}`)
  app.get('/r', (_req, res) => {
    res.send('ok')
  })
  const server = app.listen(0, '127.0.0.1', () => listen((server.address() as AddressInfo).port))
}

async function koa() {
  const [{ default: Koa }, { createServer }] = await Promise.all([import('koa'), import('node:http')])
  const app = new Koa()
  if (variant.startsWith('koa-keyward')) {
    const { patAuth } = await import('@keyward/koa')
    app.use(patAuth(await keyward()))
  } else if (variant === 'koa-sha256-lru') {
    const hashedAndKnown = await sha256Lru()
    app.use(async (ctx, next) => {
      if (!hashedAndKnown(ctx.get('authorization'))) ctx.throw(401)
      await next()
    })
  } else if (variant === 'koa-trivial') {
    app.use(async (ctx, next) => {
      if (ctx.get('authorization') !== `Bearer ${STATIC_TOKEN}`) ctx.throw(401)
      await next()
    })
  } else if (variant !== 'koa-bare') throw new Error(`unknown variant ${variant}`)
  app.use((ctx) => {
    if (ctx.path === '/r') ctx.body = 'ok'
  })
  const server = createServer(app.callback()).listen(0, '127.0.0.1', () =>
    listen((server.address() as AddressInfo).port),
  )
}

if (variant.startsWith('hono')) await hono()
else if (variant.startsWith('express')) await expressServer()
else if (variant.startsWith('koa')) await koa()
else throw new Error(`unknown variant ${variant}`)

// A clean exit, so that --cpu-prof and similar flags can write their output.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (instance !== null) console.info(`stats ${JSON.stringify(instance.stats())}`)
    process.exit(0)
  })
