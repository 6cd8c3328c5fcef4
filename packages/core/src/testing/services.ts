import { randomBytes } from 'node:crypto'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { Redis } from 'ioredis'
import { afterAll } from 'vitest'

const onCi = process.env.CI === 'true'
export const TEST_REDIS_URL = process.env.KEYWARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Unreachable service: a loud notice and a skip, or under CI=true a failure. */
export function skipNotice(service: string, message: string, variable: string): void {
  if (onCi) throw new Error(`${message} ${service} tests are mandatory under CI=true.`)
  console.warn(
    `\n${'!'.repeat(78)}\n!! SKIPPING ${service.toUpperCase()} TESTS: ${message}\n!! Start it or set ${variable}.\n${'!'.repeat(78)}\n`,
  )
}

/**
 * The real Redis service, or null (after a loud notice) when it is unreachable, except under
 * CI=true, where it throws. Each caller gets a key prefix of its own.
 */
export async function testRedis(): Promise<{ url: string; prefix(): string; admin: Redis } | null> {
  const admin = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: () => null,
  })
  admin.on('error', () => {})
  try {
    await admin.connect()
    await admin.ping()
  } catch (error) {
    admin.disconnect()
    skipNotice(
      'Redis',
      `Redis at ${TEST_REDIS_URL} is unreachable (${(error as Error).message}).`,
      'KEYWARD_TEST_REDIS_URL',
    )
    return null
  }
  const prefixes: string[] = []
  afterAll(async () => {
    // Leave nothing behind, whatever the keys' TTLs: every prefix this file handed out is emptied.
    for (const prefix of prefixes) {
      let cursor = '0'
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
        cursor = next
        if (keys.length > 0) await admin.del(...keys)
      } while (cursor !== '0')
    }
    admin.disconnect()
  })
  const prefix = () => {
    const fresh = `keyward-test:${randomBytes(6).toString('hex')}:`
    prefixes.push(fresh)
    return fresh
  }
  return { url: TEST_REDIS_URL, admin, prefix }
}

export type FaultMode = 'pass' | 'blackhole' | 'reset' | 'slow' | 'half-open'

/**
 * A TCP proxy on 127.0.0.1 between the app and a service, that can pass traffic, blackhole it
 * (connections hang, nothing is answered), reset every connection, or slow each chunk down.
 * `half-open` is a NAT that lost its state: the connections open when it is set stop forwarding in
 * both directions, silently and for good (no RST, no FIN), while new ones go through.
 */
export async function faultProxy(target: { host: string; port: number }, slowMs = 300) {
  let mode: FaultMode = 'pass'
  const sockets = new Set<Socket>()
  const frozen = new WeakSet<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  }
  const server: Server = createServer((client) => {
    track(client)
    if (mode === 'reset') return void client.resetAndDestroy()
    if (mode === 'blackhole') return
    const upstream = connect(target.port, target.host)
    track(upstream)
    const relay = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => {
        if (mode === 'blackhole' || frozen.has(from)) return
        if (mode === 'reset') {
          client.resetAndDestroy()
          upstream.destroy()
          return
        }
        if (mode === 'slow') setTimeout(() => to.write(chunk), slowMs)
        else to.write(chunk)
      })
      from.on('close', () => {
        if (!frozen.has(from)) to.destroy()
      })
    }
    relay(client, upstream)
    relay(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    port,
    set(next: FaultMode) {
      mode = next
      if (next === 'reset') for (const socket of sockets) socket.resetAndDestroy()
      if (next === 'half-open') {
        for (const socket of sockets) frozen.add(socket)
        mode = 'pass'
      }
    },
    /** Drops every open connection (as a restarted service would). */
    dropAll() {
      for (const socket of sockets) socket.destroy()
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
