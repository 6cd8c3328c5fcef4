import { describeStoreError, isKeywardError, KeywardError } from './errors.js'
import type { Logger } from './keyward-types.js'
import type { Lifecycle } from './lifecycle.js'
import { assertKnownKeys } from './option-checks.js'
import type { SharedCache } from './shared-cache.js'
import { DeploymentKey, deploymentKeyOf } from './shared-trust.js'
import { Signal } from './signal.js'
import type { KeywardStore } from './store.js'

async function importDriver<T>(
  load: () => Promise<T>,
  driver: string,
  variable = 'KEYWARD_DATABASE_URL',
): Promise<T> {
  try {
    return await load()
  } catch (error) {
    throw new KeywardError(
      'invalid_option',
      `${variable} needs the "${driver}" package: npm install ${driver}`,
      { cause: error },
    )
  }
}

export type StoreFromEnvOptions = {
  /**
   * Run `migrate()` before returning the store (default true). `false` returns it as it is: for
   * reading `kw.migrations.status()` (or printing the SQL) without changing the database.
   */
  migrate?: boolean
}

const STORE_FROM_ENV_OPTIONS: ReadonlySet<string> = new Set(['migrate'])

function migrateOption(options: unknown): boolean {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KeywardError('invalid_argument', 'storeFromEnv() options must be an object { migrate? }.')
  }
  assertKnownKeys(
    options,
    STORE_FROM_ENV_OPTIONS,
    (key) => `storeFromEnv(): unknown option ${JSON.stringify(key)}`,
    'invalid_argument',
  )
  const { migrate = true } = options as StoreFromEnvOptions
  if (typeof migrate !== 'boolean') {
    throw new KeywardError(
      'invalid_argument',
      `storeFromEnv(): migrate must be true or false; got ${migrate}.`,
    )
  }
  return migrate
}

/**
 * The store named by the environment: `KEYWARD_DATABASE_URL` = `postgres://…` → Postgres; a path,
 * or unset → the SQLite file `keyward.db`. Migrated before it is returned, unless `migrate: false`.
 */
export async function storeFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: StoreFromEnvOptions = {},
): Promise<KeywardStore> {
  const migrate = migrateOption(options)
  const url = env.KEYWARD_DATABASE_URL?.trim() || 'keyward.db'
  let store: KeywardStore
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { postgresStore } = await importDriver(() => import('./postgres.js'), 'postgres')
    store = postgresStore({ url })
  } else {
    const { sqliteStore } = await importDriver(() => import('./sqlite.js'), 'better-sqlite3')
    store = sqliteStore({ path: url.replace(/^(sqlite|file):(\/\/)?/, '') })
  }
  if (!migrate) return store
  try {
    await store.migrate()
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
  return store
}

/**
 * The store, opened on first use (from the environment unless given), with the deployment key
 * read alongside it; and Redis from `KEYWARD_REDIS_URL`, opened beside the store rather than after.
 * A failed open (the database not there yet) is tried again on the next call, not remembered.
 */
export class StoreOpening {
  readonly deploymentKey: DeploymentKey
  /** Redis from the environment is connected: it becomes the shared level (before `opened`). */
  readonly sharedOpened = new Signal<[SharedCache]>()
  /** The store is open (every time an open succeeds): start its bus, report its channel. */
  readonly opened = new Signal<[KeywardStore]>()
  #opening: Promise<KeywardStore> | null = null
  #source: Promise<KeywardStore> | null = null
  #redis: Promise<void> | null = null
  #redisAttached = false
  readonly #given: KeywardStore | Promise<KeywardStore> | undefined
  readonly #sharedCache: SharedCache | null
  readonly #redisUrl: string | null
  readonly #logger: Logger
  readonly #lifecycle: Lifecycle

  #openRedis(): Promise<void> {
    const url = this.#redisUrl
    if (url === null || this.#lifecycle.closed) return Promise.resolve()
    if (this.#redisAttached) return Promise.resolve()
    this.#redis ??= importDriver(() => import('./redis.js'), 'ioredis', 'KEYWARD_REDIS_URL').then(
      ({ redisCache }) => {
        if (this.#lifecycle.closed || this.#redisAttached) return
        this.#redisAttached = true
        this.sharedOpened.emit(redisCache({ url }))
      },
      (error: unknown) => {
        this.#redis = null
        throw error
      },
    )
    return this.#redis
  }

  #keyOf(store: KeywardStore): Promise<Uint8Array> {
    return deploymentKeyOf(this.#sharedCache, store)
  }

  /**
   * The store itself, created once (from the environment unless given), without what opening it
   * starts (the bus, the deployment key): for migrations, which must not subscribe to a table they
   * are about to create. A failure is tried again on the next call.
   */
  readonly source = (): Promise<KeywardStore> => {
    if (this.#source !== null) return this.#source
    const source = Promise.resolve(this.#given ?? storeFromEnv())
    source.catch(() => {
      if (this.#source === source) this.#source = null
    })
    this.#source = source
    return source
  }

  readonly get = (): Promise<KeywardStore> => {
    if (this.#opening !== null) return this.#opening
    const opening = Promise.all([this.source(), this.#openRedis()]).then(async ([store]) => {
      this.opened.emit(store)
      // Read with the store, so that the first miss can use the shared level. Without any key a
      // shared cache is refused; another failure is retried when the key is next needed.
      if (this.#sharedCache !== null || this.#redisAttached || store.deploymentKey) {
        await this.deploymentKey
          .load(() => this.#keyOf(store))
          .catch((error: unknown) => {
            if (isKeywardError(error) && error.code === 'invalid_option') throw error
            this.#logger.warn(
              `could not read the deployment key (run migrate()?): ${describeStoreError(error)}`,
            )
          })
      }
      return store
    })
    opening.catch(() => {
      if (this.#opening === opening) this.#opening = null
    })
    this.#opening = opening
    return opening
  }

  constructor(context: {
    store: KeywardStore | Promise<KeywardStore> | undefined
    sharedCache: SharedCache | undefined
    redisFromEnv: string | null
    logger: Logger
    lifecycle: Lifecycle
  }) {
    this.#given = context.store
    this.#sharedCache = context.sharedCache ?? null
    this.#redisUrl = context.redisFromEnv
    this.#logger = context.logger
    this.#lifecycle = context.lifecycle
    const ownKey = context.sharedCache?.key
    // A shared cache with its own key does not wait for the store to authenticate what it shares.
    this.deploymentKey = new DeploymentKey(async () => ownKey ?? this.#keyOf(await this.get()))
  }

  /** Waits for an open under way to end, however it ends. */
  async settled(): Promise<void> {
    await this.#opening?.catch(() => {})
    await this.#source?.catch(() => {})
  }

  /**
   * Closes the store if it was opened or given; a given store never used is closed without opening
   * it, and a store promise that rejected (a database or driver that was not there) left nothing
   * to close: that failure was reported to the calls that needed the store.
   */
  async close(): Promise<void> {
    const store = this.#source ?? (this.#given === undefined ? null : Promise.resolve(this.#given))
    const opened = await store?.catch(() => null)
    await opened?.close()
  }
}
