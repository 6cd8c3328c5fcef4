import { KeywardError } from './errors.js'
import type { Lifecycle } from './lifecycle.js'
import { assertKnownKeys } from './option-checks.js'
import type { KeywardStore, MigrationStatus, ProgressCallback } from './store.js'
import { storeCalls, unsupported } from './store-calls.js'

export type { MigrationStatus } from './store.js'

export type ApplyMigrationsOptions = {
  /** Called with (0, total) once the pending statements are known, then after each statement. */
  onProgress?: ProgressCallback
}

/** `kw.migrations`: what the store's migrations stand at, and running them. */
export type KeywardMigrations = {
  /**
   * Which migrations have run and the statements of those pending, exactly as `apply()` runs them.
   * A read: it changes nothing, and works on a database never migrated (everything pending).
   */
  status(): Promise<MigrationStatus>
  /** Runs the pending migrations (`store.migrate()`), then returns the status after them. */
  apply(options?: ApplyMigrationsOptions): Promise<MigrationStatus>
}

const APPLY_OPTIONS: ReadonlySet<string> = new Set(['onProgress'])

function frozen(status: MigrationStatus): MigrationStatus {
  return Object.freeze({
    ...status,
    applied: Object.freeze([...status.applied]),
    pending: Object.freeze(
      status.pending.map(({ version, statements, record }) =>
        Object.freeze({
          version,
          statements: Object.freeze([...statements]),
          ...(record === undefined ? {} : { record }),
        }),
      ),
    ),
    ...(status.setup === undefined ? {} : { setup: Object.freeze([...status.setup]) }),
  })
}

function requireApplyOptions(options: unknown): ProgressCallback | undefined {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KeywardError(
      'invalid_argument',
      'migrations.apply() options must be an object { onProgress? }.',
    )
  }
  assertKnownKeys(
    options,
    APPLY_OPTIONS,
    (key) => `Unknown migrations.apply() option ${JSON.stringify(key)}`,
    'invalid_argument',
  )
  const { onProgress } = options as ApplyMigrationsOptions
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new KeywardError('invalid_argument', 'onProgress must be a function (done, total) => void.')
  }
  return onProgress
}

/**
 * The migrations of the instance's store, reached without opening it for requests (no bus is
 * subscribed to a table a migration is about to create). A store without `migrationStatus()` is
 * refused with `unsupported` before anything runs.
 */
export function createMigrations(context: {
  lifecycle: Lifecycle
  store: () => Promise<KeywardStore>
}): KeywardMigrations {
  const { withStore } = storeCalls(context)
  const statusOf = async (store: KeywardStore, call: string): Promise<MigrationStatus> => {
    if (!store.migrationStatus) throw unsupported('migrationStatus', call)
    return frozen(await store.migrationStatus())
  }
  return {
    status: () => withStore('migrations.status', (store) => statusOf(store, 'migrations.status()')),
    async apply(options = {}) {
      const onProgress = requireApplyOptions(options)
      return withStore('migrations.apply', async (store) => {
        if (!store.migrationStatus) throw unsupported('migrationStatus', 'migrations.apply()')
        await store.migrate(onProgress === undefined ? undefined : { onProgress })
        return statusOf(store, 'migrations.apply()')
      })
    },
  }
}
