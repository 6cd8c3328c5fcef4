import { type Clock, systemClock } from './clock.js'
import { toMilliseconds } from './duration.js'
import { KeywardError } from './errors.js'
import { argon2Hasher, type TokenHasher } from './hashing.js'
import { heartbeatSettings } from './heartbeat.js'
import type { KeywardOptions, Logger, ScopeInfo } from './keyward-types.js'
import { type LifetimePolicy, lifetimePolicy } from './lifetime.js'
import { assertKnownKeys, integerOption } from './option-checks.js'
import { scopeSettings } from './scope-registry.js'
import { type SessionSettings, sessionSettings } from './session-keys.js'
import { assertSharedCacheKeyed } from './shared-trust.js'
import { maxTokensOption } from './token-cap.js'
import { assertTokenPrefix } from './token-format.js'

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'store',
  'tokenPrefix',
  'scopes',
  'hasher',
  'cache',
  'lastUsed',
  'retryAfter',
  'clock',
  'logger',
  'sessions',
  'sharedCache',
  'storeTimeout',
  'storeReads',
  'protection',
  'maxTokensPerUser',
  'tokenLifetime',
  'heartbeat',
  'audit',
  'events',
])
const EVENT_OPTIONS: ReadonlySet<string> = new Set(['failureInterval'])

/** `createKeyward()`'s options, validated and with their defaults, before any part is built. */
export type Settings = {
  readonly tokenPrefix: string
  readonly allowList: ReadonlySet<string> | null
  /** `kw.scopes`: the allow-list in order, with descriptions when it is a registry. */
  readonly scopeList: readonly ScopeInfo[]
  readonly clock: Clock
  readonly hasher: TokenHasher
  readonly logger: Logger
  readonly maxTokensPerUser: number
  readonly lifetime: LifetimePolicy
  /** `KEYWARD_REDIS_URL`, read only when neither a store nor a shared cache is given. */
  readonly redisFromEnv: string | null
  /** The in-process cache's TTL, also the bound of an invalidation no channel carries. */
  readonly cacheTtl: number
  readonly cacheMax: number
  readonly sharedTtl: number
  readonly storeTimeout: number
  readonly flushInterval: number
  readonly retryAfter: number
  readonly heartbeat: ReturnType<typeof heartbeatSettings>
  readonly sessions: SessionSettings | null
  readonly audit: boolean
  /** How often `auth.failures` is emitted while anyone listens. */
  readonly failureInterval: number
}

function auditSetting(value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') {
    throw new KeywardError('invalid_option', `audit must be true or false; got ${JSON.stringify(value)}.`)
  }
  return value
}

function eventSettings(options: KeywardOptions['events']): { failureInterval: number } {
  if (options === undefined) return { failureInterval: 60_000 }
  if (typeof options !== 'object' || options === null) {
    throw new KeywardError('invalid_option', 'events must be an object such as { failureInterval: "60s" }.')
  }
  assertKnownKeys(options, EVENT_OPTIONS, (key) => `Unknown option events.${key}`)
  const failureInterval = toMilliseconds(options.failureInterval ?? '60s', 'events.failureInterval')
  if (failureInterval < 1000) {
    throw new KeywardError(
      'invalid_option',
      `events.failureInterval must be at least 1s; got ${failureInterval} ms.`,
    )
  }
  return { failureInterval }
}

export function resolveSettings(options: KeywardOptions): Settings {
  assertKnownKeys(options, KNOWN_OPTIONS, (key) => `Unknown option ${JSON.stringify(key)}`)
  const tokenPrefix = options.tokenPrefix ?? 'kw'
  assertTokenPrefix(tokenPrefix)
  const { allowList, scopeList } = scopeSettings(options.scopes)
  const maxTokensPerUser = maxTokensOption(options.maxTokensPerUser)
  const lifetime = lifetimePolicy(options.tokenLifetime)
  // What processes share is authenticated under the deployment key: the shared cache's own, else
  // the store's (read once, with the store).
  assertSharedCacheKeyed(options.sharedCache, options.store)
  // Configured from the environment as a whole: KEYWARD_REDIS_URL adds the shared level.
  const redisFromEnv =
    options.store === undefined && options.sharedCache === undefined
      ? process.env.KEYWARD_REDIS_URL?.trim() || null
      : null
  const shared = options.sharedCache !== undefined || redisFromEnv !== null
  return {
    tokenPrefix,
    allowList,
    scopeList,
    clock: options.clock ?? systemClock,
    hasher: options.hasher ?? argon2Hasher(),
    logger: options.logger ?? { warn: (message: string) => console.warn(`[keyward] ${message}`) },
    maxTokensPerUser,
    lifetime,
    redisFromEnv,
    cacheTtl: toMilliseconds(options.cache?.ttl ?? (shared ? '5s' : '10m'), 'cache.ttl'),
    sharedTtl: toMilliseconds(options.cache?.sharedTtl ?? '10m', 'cache.sharedTtl'),
    cacheMax: integerOption(options.cache?.max ?? 10_000, 'cache.max'),
    storeTimeout: toMilliseconds(options.storeTimeout ?? '3s', 'storeTimeout'),
    flushInterval: toMilliseconds(options.lastUsed?.flushInterval ?? '1s', 'lastUsed.flushInterval'),
    heartbeat: heartbeatSettings(options.heartbeat),
    retryAfter: integerOption(options.retryAfter ?? 5, 'retryAfter (whole seconds)'),
    sessions: options.sessions === undefined ? null : sessionSettings(options.sessions),
    audit: auditSetting(options.audit),
    failureInterval: eventSettings(options.events).failureInterval,
  }
}
