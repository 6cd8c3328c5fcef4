import { Redis, type RedisOptions } from 'ioredis'
import { KeywardError } from './errors.js'
import {
  type InvalidationBus,
  type InvalidationMessage,
  isSharedTokenEntry,
  parseInvalidation,
  type SharedCache,
} from './shared-cache.js'

export type RedisCacheOptions = {
  /** Prefix of every key and of the channel. Default `keyward:`. */
  keyPrefix?: string
  /** Milliseconds a command may take before it counts as failed. Default 250. */
  commandTimeout?: number
}

// Write the entry only while the token's generation is what the filler read before its store read.
const WRITE_IF_GENERATION = `
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`

// Versions only grow.
const RAISE_VERSION = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`

/** How long a generation outlives its last bump: far longer than any fill can take. */
const GENERATION_TTL = 86_400_000

/**
 * The shared cache and invalidation bus on Redis (ioredis). Pass `{ url }` to have Keyward open
 * (and close) its connections, or `{ client }` to use yours (Keyward duplicates it to subscribe).
 * Commands fail fast while Redis is away, so authentication carries on through the in-process
 * cache and the store.
 */
export function redisCache(
  connection: { url: string } | { client: Redis },
  options: RedisCacheOptions = {},
): SharedCache {
  const prefix = options.keyPrefix ?? 'keyward:'
  if (typeof prefix !== 'string' || prefix.length > 64) {
    throw new KeywardError('invalid_option', 'keyPrefix must be a string of at most 64 characters.')
  }
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeout ?? 250,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    lazyConnect: false,
  }
  let client: Redis
  let ownsClient: boolean
  if ('client' in connection) {
    client = connection.client
    ownsClient = false
  } else if (typeof connection.url === 'string' && /^rediss?:\/\//.test(connection.url)) {
    client = new Redis(connection.url, redisOptions)
    ownsClient = true
  } else {
    throw new KeywardError('invalid_option', 'redisCache() needs { url: "redis://…" } or { client }.')
  }
  // Errors surface on each command; without a listener ioredis would also print them.
  client.on('error', () => {})
  // While connecting for the first time, commands wait (briefly); after that, they fail fast.
  let firstReady: Promise<void> | null =
    client.status === 'ready'
      ? null
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('Redis is not reachable')), 2000)
          timer.unref()
          client.once('ready', () => {
            clearTimeout(timer)
            firstReady = null
            resolve()
          })
        })
  firstReady?.catch(() => {})
  const ready = async (): Promise<Redis> => {
    if (firstReady !== null && client.status !== 'ready') await firstReady
    return client
  }
  const channel = `${prefix}invalidate`
  const tokenKey = (id: string) => `${prefix}t:${id}`
  const generationKey = (id: string) => `${prefix}g:${id}`
  const versionKey = (userId: string) => `${prefix}v:${userId}`
  let subscriber: Redis | null = null

  const bus: InvalidationBus = {
    async publish(message: InvalidationMessage) {
      await (await ready()).publish(channel, JSON.stringify(message))
    },
    async subscribe(onMessage, onGap) {
      subscriber = client.duplicate({ ...redisOptions, enableOfflineQueue: true, commandTimeout: 2000 })
      subscriber.on('error', () => {})
      subscriber.on('message', (from, payload) => {
        if (from !== channel) return
        const message = parseInvalidation(payload)
        if (message) onMessage(message)
      })
      let connectedOnce = false
      subscriber.on('ready', () => {
        if (connectedOnce) onGap()
        connectedOnce = true
      })
      await subscriber.subscribe(channel)
    },
    async close() {
      subscriber?.disconnect()
      subscriber = null
    },
  }

  return {
    bus,
    async readToken(id) {
      const [raw, generation] = await (await ready()).mget(tokenKey(id), generationKey(id))
      let entry = null
      if (raw) {
        try {
          const parsed: unknown = JSON.parse(raw)
          entry = isSharedTokenEntry(parsed) ? parsed : null
        } catch {
          entry = null
        }
      }
      return { entry, generation: generation ?? '0' }
    },
    async writeToken(id, entry, generation, ttl) {
      const written = await (await ready()).eval(
        WRITE_IF_GENERATION,
        2,
        tokenKey(id),
        generationKey(id),
        generation,
        JSON.stringify(entry),
        String(Math.max(1, Math.floor(ttl))),
      )
      return written === 1
    },
    async invalidateTokens(ids) {
      if (ids.length === 0) return
      const batch = (await ready()).multi()
      for (const id of ids) {
        batch.incr(generationKey(id)).pexpire(generationKey(id), GENERATION_TTL).del(tokenKey(id))
      }
      const results = await batch.exec()
      const failed = results?.find(([error]) => error)
      if (!results || failed) throw failed?.[0] ?? new Error('the Redis transaction was aborted')
    },
    async readVersion(userId) {
      const raw = await (await ready()).get(versionKey(userId))
      const version = raw === null ? Number.NaN : Number(raw)
      return Number.isSafeInteger(version) && version >= 0 ? version : null
    },
    async writeVersion(userId, version, ttl) {
      await (await ready()).eval(
        RAISE_VERSION,
        1,
        versionKey(userId),
        String(version),
        String(Math.max(1, Math.floor(ttl))),
      )
    },
    async close() {
      await bus.close()
      if (ownsClient) client.disconnect()
    },
  }
}
