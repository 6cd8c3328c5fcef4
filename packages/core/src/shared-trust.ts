import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from './clock.js'
import { KeywardError } from './errors.js'
import { growingLru } from './lru.js'
import type {
  InvalidationBus,
  InvalidationMessage,
  SharedCache,
  SharedTokenEntry,
  SharedVersionEntry,
} from './shared-cache.js'
import type { KeywardStore } from './store.js'

/**
 * Nothing that Redis or the invalidation bus hands back is trusted on its own: shared entries and
 * messages carry an HMAC-SHA256 under a key of the deployment, held by the store (or passed as
 * `redisCache({ key })`). Someone who can write to Redis, or NOTIFY on Postgres, without that key
 * can delete entries or replay what they saw, but cannot forge a login or a logout.
 */

export const DEPLOYMENT_KEY_BYTES = 32
/** How far a message's timestamp may be from this process's clock before the skew is reported. */
export const MAX_MESSAGE_AGE = 60_000

/** A new random key as stores keep it (base64 text). */
export function newDeploymentKey(): string {
  return randomBytes(DEPLOYMENT_KEY_BYTES).toString('base64')
}

/** The key a store read back; anything shorter than 256 bits is refused. */
export function decodeDeploymentKey(text: unknown): Uint8Array {
  const key = typeof text === 'string' ? Buffer.from(text, 'base64') : Buffer.alloc(0)
  if (key.length < DEPLOYMENT_KEY_BYTES) {
    throw new KeywardError('store_error', 'The deployment key in the store is malformed.')
  }
  return new Uint8Array(key)
}

/** An explicit key from an option: at least 32 bytes, as a Uint8Array or a string. */
export function deploymentKeyOption(value: unknown, what: string): Uint8Array {
  const key = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  if (!(key instanceof Uint8Array) || key.length < DEPLOYMENT_KEY_BYTES) {
    throw new KeywardError(
      'invalid_option',
      `${what} must be at least ${DEPLOYMENT_KEY_BYTES} bytes (a Uint8Array, or a string).`,
    )
  }
  return Uint8Array.from(key)
}

function missingKey(): KeywardError {
  return new KeywardError(
    'invalid_option',
    'A shared cache needs a deployment key: use a store with deploymentKey() (sqliteStore, postgresStore) or pass redisCache(…, { key }).',
  )
}

/** Refuses, up front, a shared cache that no key would authenticate (a store still opening is checked then). */
export function assertSharedCacheKeyed(
  shared: SharedCache | undefined,
  store: KeywardStore | Promise<KeywardStore> | undefined,
): void {
  if (shared === undefined || shared.key !== undefined || store === undefined || 'then' in store) return
  if (typeof store.deploymentKey !== 'function') throw missingKey()
}

/** The deployment's key: the shared cache's own, else the store's. */
export async function deploymentKeyOf(shared: SharedCache | null, store: KeywardStore): Promise<Uint8Array> {
  if (shared?.key !== undefined) return shared.key
  if (!store.deploymentKey) throw missingKey()
  return store.deploymentKey()
}

function macOf(key: Uint8Array, parts: unknown[]): Buffer {
  return createHmac('sha256', key).update(JSON.stringify(parts)).digest()
}

function seal(key: Uint8Array, parts: unknown[]): string {
  return macOf(key, parts).toString('base64url')
}

function verifies(key: Uint8Array, parts: unknown[], claimed: unknown): boolean {
  if (typeof claimed !== 'string' || claimed.length !== 43) return false
  return timingSafeEqual(Buffer.from(claimed, 'base64url'), macOf(key, parts))
}

// Each kind of value is signed under its own label, so that no value passes for another.
const tokenParts = (id: string, e: SharedTokenEntry) => [
  'keyward/token/1',
  id,
  e.digest,
  e.userId,
  e.scopes,
  e.expiresAt,
  e.validUntil,
]
const versionParts = (userId: string, e: SharedVersionEntry) => [
  'keyward/version/1',
  userId,
  e.version,
  e.validUntil,
]
const invalidationParts = (m: InvalidationMessage, at: number) => [
  'keyward/message/1',
  m.tokens ?? null,
  m.user ? [m.user.id, m.user.version] : null,
  at,
]
const messageParts = (m: InvalidationMessage, at: number) =>
  m.beat === undefined ? invalidationParts(m, at) : ['keyward/beat/1', m.beat, at]

/** The deployment key, read once and lazily; a failed read is tried again on the next call. */
export class DeploymentKey {
  #key: Uint8Array | null = null
  #loading: Promise<Uint8Array> | null = null
  readonly #read: () => Promise<Uint8Array>

  constructor(read: () => Promise<Uint8Array>) {
    this.#read = read
  }

  /** Null until it has been read. */
  get current(): Uint8Array | null {
    return this.#key
  }

  /**
   * `read` replaces the constructor's reader for this call (a store already at hand, say), and reads
   * even while a load by the constructor's reader is in flight: that one may be waiting for the
   * store this call is opening (a message that arrived first), and joining it would never end.
   */
  load(read = this.#read): Promise<Uint8Array> {
    if (this.#key !== null) return Promise.resolve(this.#key)
    if (this.#loading !== null && read === this.#read) return this.#loading
    const loading = read().then(
      (key) => {
        this.#key ??= key
        return this.#key
      },
      (error: unknown) => {
        if (this.#loading === loading) this.#loading = null
        throw error
      },
    )
    if (this.#loading === null) this.#loading = loading
    return loading
  }

  /** Starts reading it without waiting. */
  warm(): void {
    this.load().catch(() => {})
  }
}

/**
 * The shared level as the engine uses it: entries are sealed when written, and one read back whose
 * MAC does not verify is a miss (`onForged`). Token entries are read only once the key is known
 * (the engine checks `key.current` first); a session version read before then is a miss.
 */
export function trustedSharedCache(
  raw: SharedCache,
  key: DeploymentKey,
  clock: Clock,
  onForged: () => void,
): SharedCache {
  return {
    bus: raw.bus,
    async readToken(id) {
      const k = await key.load()
      const read = await raw.readToken(id)
      const { entry } = read
      if (entry === null || verifies(k, tokenParts(id, entry), entry.mac)) return read
      onForged()
      return { entry: null, generation: read.generation }
    },
    async writeToken(id, entry, generation, ttl) {
      const k = await key.load()
      const { mac: _, ...fields } = entry
      return raw.writeToken(id, { ...fields, mac: seal(k, tokenParts(id, fields)) }, generation, ttl)
    },
    createGeneration: (id) => raw.createGeneration(id),
    invalidateTokens: (ids) => raw.invalidateTokens(ids),
    async readVersion(userId) {
      const k = key.current
      if (k === null) {
        key.warm()
        return null
      }
      const entry = await raw.readVersion(userId)
      if (entry === null) return null
      if (!verifies(k, versionParts(userId, entry), entry.mac)) {
        onForged()
        return null
      }
      return entry.validUntil > clock.now() ? entry : null
    },
    async writeVersion(userId, entry, ttl) {
      const k = await key.load()
      const fields = { version: entry.version, validUntil: entry.validUntil }
      await raw.writeVersion(userId, { ...fields, mac: seal(k, versionParts(userId, fields)) }, ttl)
    },
    close: () => raw.close(),
  }
}

/** Messages remembered per process to refuse a second delivery of the same one (a replay). */
const REMEMBERED_MESSAGES = 4096

/** What `signedBus` reports besides the messages it delivers. */
export type SignedBusEvents = {
  /** Unsigned, or signed with another key, or altered: dropped. */
  forged(): void
  /** Authentic, but delivered before: dropped. */
  replayed(): void
  /** Authentic, first seen, stamped more than `MAX_MESSAGE_AGE` from this clock (`skew` ms): delivered. */
  stale(skew: number): void
}

/**
 * A bus whose messages are signed with a timestamp. One unsigned or forged is dropped, and so is
 * one this process has delivered before (a replay). An authentic one stamped far from this process's
 * clock is still delivered: it only drops entries it names and raises versions, so acting on it
 * costs little, while ignoring it would lose a revocation from a host whose clock is off; it is
 * reported (`stale`) so that the skew is seen. A message that arrives before the key is known waits
 * for it; if the key cannot be read, the message is treated as lost (`onGap`).
 */
export function signedBus(
  bus: InvalidationBus,
  key: DeploymentKey,
  clock: Clock,
  events: SignedBusEvents,
): InvalidationBus {
  const delivered = growingLru<string, true>(REMEMBERED_MESSAGES)
  return {
    async publish(message) {
      const k = await key.load()
      const at = clock.now()
      const signed: InvalidationMessage = { at, mac: seal(k, messageParts(message, at)) }
      if (message.tokens) signed.tokens = message.tokens
      if (message.user) signed.user = message.user
      if (message.beat !== undefined) signed.beat = message.beat
      await bus.publish(signed)
    },
    subscribe(onMessage, onGap) {
      const accept = (k: Uint8Array, m: InvalidationMessage) => {
        if (typeof m.at !== 'number' || !verifies(k, messageParts(m, m.at), m.mac)) return events.forged()
        // A heartbeat changes nothing: its sender matches it against the one it waits for, so a
        // replay proves nothing, and it is not remembered (it would crowd out invalidations).
        if (m.beat !== undefined) return onMessage({ beat: m.beat })
        const mac = m.mac as string
        if (delivered.has(mac)) return events.replayed()
        delivered.set(mac, true)
        const skew = clock.now() - m.at
        if (Math.abs(skew) > MAX_MESSAGE_AGE) events.stale(skew)
        onMessage(m)
      }
      return bus.subscribe((m) => {
        const k = key.current
        if (k !== null) accept(k, m)
        else key.load().then((loaded) => accept(loaded, m), onGap)
      }, onGap)
    },
    close: () => bus.close(),
    ...(bus.reconnect ? { reconnect: () => bus.reconnect?.() } : {}),
  }
}
