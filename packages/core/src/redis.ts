import { randomBytes } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'
import { KeywardError } from './errors.js'
import {
  type InvalidationBus,
  type InvalidationMessage,
  isSharedTokenEntry,
  parseInvalidation,
  type SharedCache,
  type SharedVersionEntry,
} from './shared-cache.js'
import { deploymentKeyOption } from './shared-trust.js'

export type RedisCacheOptions = {
  /** Prefix of every key and of the channel. Default `keyward:`. */
  keyPrefix?: string
  /** Milliseconds a command may take before it counts as failed. Default 250. */
  commandTimeout?: number
  /**
   * The key that authenticates shared entries and invalidation messages (at least 32 bytes), the
   * same on every process of the deployment. Only for a store without `deploymentKey()`: the
   * SQLite and Postgres stores keep one of their own.
   */
  key?: Uint8Array | string
}

const REDIS_OPTIONS = new Set(['keyPrefix', 'commandTimeout', 'key'])

// Write the entry only while the token's generation is what the filler read before its store read;
// a generation gone since (flushed, evicted, expired) refuses the write too. Were a missing one read
// as a constant, a fill that read it before a revoke could write after the revoke once the key is
// gone again. Writing keeps the generation alive as long as the entry.
const WRITE_IF_GENERATION = `
local current = redis.call('GET', KEYS[2])
if not current or current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1`

// The token's generation, created (a value never used before) when it has none. Only for a token
// the store has verified: reads create nothing, so junk tokens leave nothing in Redis.
const ENSURE_GENERATION = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`

// Versions only grow; an entry for the same version replaces the one there (a later validity).
const RAISE_VERSION = `
local current = redis.call('GET', KEYS[1])
local version = current and tonumber(string.match(current, '^%d+')) or -1
if tonumber(ARGV[1]) >= version then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`

/**
 * How long a generation lives: far longer than any fill can take. A fill that outlasts it is
 * refused, since the generation it read is gone.
 */
const GENERATION_TTL = 600_000
/** Ids per MULTI, so that one transaction stays well within the command timeout. */
const IDS_PER_TRANSACTION = 500

/** A version entry as stored: `<version> <validUntil> <mac>`, the version first for RAISE_VERSION. */
function parseVersion(raw: string | null): SharedVersionEntry | null {
  if (raw === null) return null
  const [version, validUntil, mac] = raw.split(' ').map((part, i) => (i < 2 ? Number(part) : part))
  if (!Number.isSafeInteger(version) || (version as number) < 0 || !Number.isSafeInteger(validUntil))
    return null
  const entry: SharedVersionEntry = { version: version as number, validUntil: validUntil as number }
  if (typeof mac === 'string' && mac !== '') entry.mac = mac
  return entry
}

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
  for (const name of Object.keys(options ?? {})) {
    if (!REDIS_OPTIONS.has(name)) {
      throw new KeywardError(
        'invalid_option',
        `Unknown redisCache() option ${JSON.stringify(name)} (known: ${[...REDIS_OPTIONS].join(', ')}).`,
      )
    }
  }
  const key = options.key === undefined ? undefined : deploymentKeyOption(options.key, 'redisCache() key')
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
  // Generations: unique values, cheap to make (one random prefix, then a counter).
  const generationStem = randomBytes(9).toString('base64url')
  let generationCount = 0
  const newGeneration = () => `${generationStem}${(generationCount++).toString(36)}`

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
    reconnect() {
      // A subscriber sends nothing, so a silent connection stays 'ready'. Its socket is destroyed
      // (an end() would wait for a goodbye that never comes); ioredis then reconnects and
      // subscribes again ('ready', then onGap), as after any lost connection.
      subscriber?.stream?.destroy()
    },
  }

  return {
    bus,
    ...(key === undefined ? {} : { key }),
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
      return { entry, generation: generation ?? '' }
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
        String(GENERATION_TTL),
      )
      return written === 1
    },
    async createGeneration(id) {
      return String(
        await (await ready()).eval(
          ENSURE_GENERATION,
          1,
          generationKey(id),
          newGeneration(),
          String(GENERATION_TTL),
        ),
      )
    },
    async invalidateTokens(ids) {
      for (let i = 0; i < ids.length; i += IDS_PER_TRANSACTION) {
        const batch = (await ready()).multi()
        for (const id of ids.slice(i, i + IDS_PER_TRANSACTION)) {
          batch.set(generationKey(id), newGeneration(), 'PX', GENERATION_TTL).del(tokenKey(id))
        }
        const results = await batch.exec()
        const failed = results?.find(([error]) => error)
        if (!results || failed) throw failed?.[0] ?? new Error('the Redis transaction was aborted')
      }
    },
    async readVersion(userId) {
      return parseVersion(await (await ready()).get(versionKey(userId)))
    },
    async writeVersion(userId, entry, ttl) {
      await (await ready()).eval(
        RAISE_VERSION,
        1,
        versionKey(userId),
        String(entry.version),
        `${entry.version} ${entry.validUntil} ${entry.mac ?? ''}`,
        String(Math.max(1, Math.floor(ttl))),
      )
    },
    async close() {
      await bus.close()
      if (ownsClient) client.disconnect()
    },
  }
}
