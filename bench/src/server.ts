/**
 * One benchmark server, in a process of its own: BENCH_SERVER holds its ServerSpec as JSON (which
 * framework, what guards the route `GET /r`, where the data is); the route always answers `ok`.
 * Prints `listening <port>` when ready; an observed Keyward server first prints `metrics <port>`, the
 * port of its metrics endpoint (see observed.ts).
 *
 * Each server imports only its own framework, guard and driver, as an application would: a server
 * that loaded every framework and driver of the benchmark would carry their start-up garbage into
 * its first full GC under load (see "V8 and the first miss" in docs/benchmark-findings.md).
 */
import { hash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Keyward, KeywardOptions } from '@keyward/core'
import type { MiddlewareHandler } from 'hono'
import type { Guard, ServerFixtures, ServerSpec } from './variants.js'

type KeywardGuard = Extract<Guard, { kind: 'keyward' }>
/** A guard every framework has: the route's own check of the Authorization header. */
type HeaderCheck = (authorization: string | undefined) => boolean

const spec = JSON.parse(process.env.BENCH_SERVER ?? 'null') as ServerSpec | null
if (spec === null) throw new Error('BENCH_SERVER is not set: this process is started by run.ts')
const { fixtures, guard } = spec

// Printed at exit, so that the harness can see what the server did (Redis used, verifications run).
let instance: Keyward | null = null

async function keyward(options: KeywardGuard, data: ServerFixtures): Promise<Keyward> {
  const { createKeyward } = await import('@keyward/core')
  const settings: KeywardOptions = { tokenPrefix: 'bench', logger: { warn: () => {} } }
  if (options.store === 'postgres') {
    const { postgresStore } = await import('@keyward/core/postgres')
    settings.store = postgresStore({ url: data.pgUrl, schema: data.pgSchema })
  } else {
    const { sqliteStore } = await import('@keyward/core/sqlite')
    settings.store = sqliteStore({ path: data.sqlitePath })
  }
  if (options.redis) {
    const { redisCache } = await import('@keyward/core/redis')
    settings.sharedCache = redisCache({ url: data.redisUrl }, { keyPrefix: data.redisPrefix })
  }
  if (!options.cache) settings.cache = { ttl: 0 }
  if (options.observed) {
    settings.audit = true
    // The shortest interval, so that the auth.failures timer ticks during the measured seconds.
    settings.events = { failureInterval: '1s' }
  }
  instance = createKeyward(settings)
  if (options.observed) {
    const { observe } = await import('./observed.js')
    console.info(`metrics ${await observe(instance)}`)
  }
  return instance
}

// The floor of any design that hashes the token on every request: SHA-256 plus one LRU lookup.
async function sha256Lru(): Promise<HeaderCheck> {
  const { LRUCache } = await import('lru-cache')
  const verified = new LRUCache<string, true>({ max: 10_000 })
  verified.set(hash('sha256', `Bearer ${fixtures.staticToken}`, 'binary'), true)
  return (authorization) => verified.get(hash('sha256', authorization ?? '', 'binary')) === true
}

/** The trivial and floor guards as a plain check; null for the guards that are a framework's own middleware. */
async function headerCheck(): Promise<HeaderCheck | null> {
  if (guard.kind === 'trivial') return (authorization) => authorization === `Bearer ${fixtures.staticToken}`
  if (guard.kind === 'sha256-lru') return await sha256Lru()
  return null
}

function unsupported(): never {
  throw new Error(`${spec?.framework} has no ${guard.kind} variant`)
}

function listen(port: number) {
  console.info(`listening ${port}`)
}

async function betterAuthGuard(): Promise<MiddlewareHandler> {
  const [{ betterAuth }, { apiKey }, { default: Database }] = await Promise.all([
    import('better-auth'),
    import('@better-auth/api-key'),
    import('better-sqlite3'),
  ])
  const auth = betterAuth({
    database: new Database(fixtures.sqlitePath),
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

async function honoGuard(): Promise<MiddlewareHandler | null> {
  const check = await headerCheck()
  if (check !== null)
    return async (c, next) => {
      if (!check(c.req.header('authorization'))) return c.text('no', 401)
      await next()
    }
  if (guard.kind === 'none') return null
  if (guard.kind === 'bearer-auth') {
    const { bearerAuth } = await import('hono/bearer-auth')
    return bearerAuth({ token: fixtures.staticToken })
  }
  if (guard.kind === 'keyward') {
    const { patAuth } = await import('@keyward/hono')
    return patAuth(await keyward(guard, fixtures)) as MiddlewareHandler
  }
  return await betterAuthGuard()
}

async function hono() {
  const [{ Hono }, { serve }] = await Promise.all([import('hono'), import('@hono/node-server')])
  const honoMiddleware = await honoGuard()
  const app = new Hono()
  if (honoMiddleware) app.use('/r', honoMiddleware)
  app.get('/r', (c) => c.text('ok'))
  serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => listen(info.port))
}

async function expressServer() {
  const { default: express } = await import('express')
  const app = express()
  app.disable('etag')
  const check = await headerCheck()
  if (check !== null) {
    app.use((req, res, next) => {
      if (!check(req.headers.authorization)) res.status(401).end('no')
      else next()
    })
  } else if (guard.kind === 'keyward') {
    const { patAuth } = await import('@keyward/express')
    app.use(patAuth(await keyward(guard, fixtures)))
  } else if (guard.kind !== 'none') unsupported()
  app.get('/r', (_req, res) => {
    res.send('ok')
  })
  const server = app.listen(0, '127.0.0.1', () => listen((server.address() as AddressInfo).port))
}

async function koa() {
  const [{ default: Koa }, { createServer }] = await Promise.all([import('koa'), import('node:http')])
  const app = new Koa()
  const check = await headerCheck()
  if (check !== null) {
    app.use(async (ctx, next) => {
      if (!check(ctx.get('authorization'))) ctx.throw(401)
      await next()
    })
  } else if (guard.kind === 'keyward') {
    const { patAuth } = await import('@keyward/koa')
    app.use(patAuth(await keyward(guard, fixtures)))
  } else if (guard.kind !== 'none') unsupported()
  app.use((ctx) => {
    if (ctx.path === '/r') ctx.body = 'ok'
  })
  const server = createServer(app.callback()).listen(0, '127.0.0.1', () =>
    listen((server.address() as AddressInfo).port),
  )
}

if (spec.framework === 'hono') await hono()
else if (spec.framework === 'express') await expressServer()
else await koa()

// A clean exit, so that --cpu-prof and similar flags can write their output.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (instance !== null) console.info(`stats ${JSON.stringify(instance.stats())}`)
    process.exit(0)
  })
