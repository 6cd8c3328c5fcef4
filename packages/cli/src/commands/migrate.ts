import type { Keyward } from '@keyward/core'
import { usageError } from '../args.js'
import { CliError } from '../cli-error.js'
import { type Command, type CommandContext, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { requireMember } from '../keyward-shape.js'
import {
  currentVersion,
  migrationScript,
  statementCount,
  statusPairs,
  unrecordedVersions,
} from '../migration-sql.js'
import { createProgress } from '../progress.js'
import { describePending } from '../unmigrated.js'

const MIGRATE_HINT = 'Run `keyward migrate` to apply them (`keyward migrate --print` shows the SQL first).'

async function showStatus({ args, output, name }: CommandContext, kw: Keyward): Promise<number> {
  requireMember(kw, 'migrations.status', name)
  const status = await kw.migrations.status()
  if (args.flag('json')) output.json(status)
  else output.out(statusPairs(status))
  if (status.current) return EXIT.ok
  output.info(`${describePending(status)}. ${MIGRATE_HINT}`)
  return EXIT.refused
}

async function printSql({ output, name }: CommandContext, kw: Keyward): Promise<number> {
  requireMember(kw, 'migrations.status', name)
  const status = await kw.migrations.status()
  const unrecorded = unrecordedVersions(status)
  if (unrecorded.length > 0) {
    throw new CliError(
      EXIT.config,
      `${name}: the store does not give the statement that records migration ${unrecorded.join(', ')}, so printed SQL would be run again by \`keyward migrate\`.`,
      { hint: 'Run `keyward migrate` itself, or add `record` to the custom store’s migrationStatus().' },
    )
  }
  output.out(migrationScript(status))
  output.info(
    status.current
      ? 'Nothing is pending; nothing was changed.'
      : `Printed the SQL of ${describePending(status)}, ${statementCount(status)} statements; nothing was changed.`,
  )
  return EXIT.ok
}

async function apply({ args, output, io, quiet, name }: CommandContext, kw: Keyward): Promise<number> {
  requireMember(kw, 'migrations.apply', name)
  const before = await kw.migrations.status()
  const json = args.flag('json')
  if (before.current) {
    if (json)
      output.json({
        dialect: before.dialect,
        migrated: [],
        statements: 0,
        applied: before.applied,
        current: true,
      })
    const at = currentVersion(before)
    output.info(
      `Nothing to migrate: the ${before.dialect} database is current${at === null ? '' : `, at version ${at}`}.`,
    )
    return EXIT.ok
  }
  output.info(
    `Migrating: ${describePending(before)}, ${statementCount(before)} statements in one transaction.`,
  )
  const progress = createProgress(io.stderr, {
    label: 'migrate',
    total: statementCount(before),
    enabled: !quiet,
  })
  let statements = 0
  // The statements this run found pending under the store's lock (its first progress call).
  let planned: number | null = null
  let after: Awaited<ReturnType<Keyward['migrations']['apply']>>
  try {
    after = await kw.migrations.apply({
      onProgress(done, total) {
        planned ??= total
        statements = done
        progress.update(done, total)
      },
    })
  } finally {
    progress.finish()
  }
  const newlyApplied = after.applied.filter((version) => !before.applied.includes(version))
  // Nothing pending under the lock: another run (a second deploy) applied them in between.
  const migrated = planned === 0 ? [] : newlyApplied
  if (json)
    output.json({
      dialect: after.dialect,
      migrated,
      statements,
      applied: after.applied,
      current: after.current,
    })
  const at = currentVersion(after)
  const state = `the ${after.dialect} database is ${after.current ? 'current' : 'still not current'}${at === null ? '' : `, at version ${at}`}`
  output.info(
    migrated.length === 0 && newlyApplied.length > 0
      ? `Nothing left to migrate: another run applied version ${newlyApplied.join(', ')} meanwhile; ${state}.`
      : `Applied migration${migrated.length === 1 ? '' : 's'} ${migrated.join(', ')} (${statements} statements): ${state}.`,
  )
  return after.current ? EXIT.ok : EXIT.unavailable
}

export const migrateCommand: Command = {
  path: ['migrate'],
  summary: 'Run the store’s pending migrations; --print shows their SQL, --status what has run',
  details: [
    'Without an option, runs every pending migration in one transaction (on Postgres under an advisory lock, so concurrent runs wait), with a progress bar per statement, and says what it applied; on a current database it says so and changes nothing.',
    '--print writes the SQL it would run on stdout (setup, then each pending migration and the row recording it, in one transaction, `;`-terminated, for psql or sqlite3) and changes nothing. --status shows which migrations have run and which are pending, and exits 1 when some are.',
    'Without a config file the environment’s store is used as it is (not migrated when opened), so --print and --status change nothing there either.',
  ],
  options: {
    print: { type: 'boolean', help: 'print the SQL it would run on stdout, and change nothing' },
    status: {
      type: 'boolean',
      help: 'show the applied and pending migrations, and change nothing (exit 1 when some are pending)',
    },
    json: {
      ...JSON_OPTION,
      help: 'print the status (with --status), or { dialect, migrated, statements, applied, current }, as JSON on stdout',
    },
  },
  examples: [
    'keyward migrate',
    'keyward migrate --print > keyward.sql && psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f keyward.sql',
    'keyward migrate --status --json',
  ],
  worksUnmigrated: true,
  async run(context) {
    const { args, name, keyward } = context
    const print = args.flag('print')
    const status = args.flag('status')
    if (print && status) throw usageError(name, '--print and --status exclude each other.')
    if (print && args.flag('json')) {
      throw usageError(
        name,
        '--print writes SQL; --json goes with --status, or with applying the migrations.',
      )
    }
    const kw = await keyward()
    if (status) return showStatus(context, kw)
    if (print) return printSql(context, kw)
    return apply(context, kw)
  },
}
