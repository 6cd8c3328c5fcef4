import { isKeywardError, type Keyward, type MigrationStatus } from '@keyward/core'
import { CliError } from './cli-error.js'
import { EXIT } from './exit-codes.js'
import { redactTokens } from './redact.js'

/**
 * A store failure on a database whose migrations have not run (a table is missing), said as what
 * it is: the store is not down, it is not set up, and `keyward migrate` is what to run. Asked only
 * after a failure, so that a command on a migrated database costs no extra read.
 */

/** How long the status read may take before the failure is reported as it came. */
const STATUS_WAIT_MS = 3000

/** The status when migrations are pending; null when current, or when it cannot be read. */
export async function pendingStatus(kw: Keyward): Promise<MigrationStatus | null> {
  if (typeof kw.migrations?.status !== 'function') return null
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), STATUS_WAIT_MS)
  })
  try {
    const status = await Promise.race([kw.migrations.status().catch(() => null), timeout])
    return status === null || status.current ? null : status
  } finally {
    clearTimeout(timer)
  }
}

/** `2 migrations pending on sqlite (version 5, 6)`. */
export function describePending(status: MigrationStatus): string {
  const count = status.pending.length
  const versions = status.pending.map((migration) => migration.version).join(', ')
  return `${count} migration${count === 1 ? '' : 's'} pending on ${status.dialect} (version ${versions})`
}

export function unmigratedError(status: MigrationStatus, cause?: unknown): CliError {
  const said = cause instanceof Error ? `; the store said: ${redactTokens(cause.message)}` : '.'
  return new CliError(EXIT.config, `The database is not migrated: ${describePending(status)}${said}`, {
    hint: 'Run `keyward migrate` with the same configuration (`keyward migrate --print` shows its SQL first).',
    ...(cause === undefined ? {} : { cause }),
  })
}

/** The failure, or the unmigrated database behind it. */
export async function explainStoreFailure(error: unknown, kw: Keyward | null): Promise<unknown> {
  if (kw === null || !isKeywardError(error) || error.code !== 'store_error') return error
  const status = await pendingStatus(kw)
  return status === null ? error : unmigratedError(status, error)
}
