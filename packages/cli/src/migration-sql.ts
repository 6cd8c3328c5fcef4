import type { MigrationStatus } from '@keyward/core'
import { formatPairs } from './table.js'

/**
 * A store's migration status as the CLI shows it: the SQL script of `migrate --print`, and the
 * pairs of `migrate --status`. The statements are the core's, verbatim; only the layout is ours.
 */

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`

/** Pending versions whose statement recording them the store does not give (a custom store). */
export function unrecordedVersions(status: MigrationStatus): number[] {
  return status.pending.filter((migration) => migration.record === undefined).map((m) => m.version)
}

export function statementCount(status: MigrationStatus): number {
  return status.pending.reduce((sum, migration) => sum + migration.statements.length, 0)
}

/** The version the database is at: the last applied. */
export function currentVersion(status: MigrationStatus): number | null {
  return status.applied.at(-1) ?? null
}

/**
 * What `migrate` would run, ready for psql or sqlite3: in one transaction as `migrate` runs it, the
 * setup, then each pending migration's statements and the row recording it, each `;`-terminated.
 */
export function migrationScript(status: MigrationStatus): string {
  const versions = status.pending.map((migration) => migration.version).join(', ')
  if (status.pending.length === 0) {
    const at = currentVersion(status)
    return `-- Nothing to run: the ${status.dialect} database is current${at === null ? '' : ` (version ${at})`}.`
  }
  const lines = [
    `-- The SQL \`keyward migrate\` runs on this ${status.dialect} database: ${plural(status.pending.length, 'migration')} pending (version ${versions}).`,
    '-- One transaction, as migrate runs it; each migration ends with the row that records it, so that',
    '-- a later `keyward migrate` finds nothing to do. (migrate also writes the deployment key row, which',
    '-- the store creates on first use when it is missing.)',
    'BEGIN;',
  ]
  if ((status.setup ?? []).length > 0) {
    lines.push('', '-- setup (run every time; idempotent)', ...(status.setup ?? []).map((s) => `${s};`))
  }
  for (const migration of status.pending) {
    lines.push('', `-- migration ${migration.version}`, ...migration.statements.map((s) => `${s};`))
    if (migration.record !== undefined) lines.push(`${migration.record};`)
  }
  lines.push('', 'COMMIT;')
  return lines.join('\n')
}

/** `migrate --status` for people: the dialect, what has run, what is pending. */
export function statusPairs(status: MigrationStatus): string {
  const pending = status.pending.map(
    (migration) => `${migration.version} (${plural(migration.statements.length, 'statement')})`,
  )
  return formatPairs([
    ['dialect', status.dialect],
    ['applied', status.applied.length === 0 ? 'none' : status.applied.join(', ')],
    ['pending', pending.length === 0 ? 'none' : pending.join(', ')],
    ['current', status.current ? 'yes' : 'no'],
  ])
}
