import { createKeyward, type Keyward, type KeywardStore, sha256Hasher } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { runCommand } from '../../fixtures/run-command.js'
import { sqliteKeywards } from '../../fixtures/sqlite-keyward.js'
import {
  SQLITE_LATEST,
  SQLITE_PENDING,
  SQLITE_STATEMENTS,
  SQLITE_VERSIONS,
} from '../../fixtures/sqlite-schema.js'
import { migrateCommand } from './migrate.js'

const keywards = sqliteKeywards('migrate')
const migrate = (argv: string[], kw: Keyward, tty = false) => runCommand(migrateCommand, argv, kw, { tty })

describe('keyward migrate --print', () => {
  it('prints the SQL on stdout and changes nothing; that SQL, run by hand, leaves nothing pending', async () => {
    const { kw, path, tables } = await keywards.create({ migrate: false })
    const printed = await migrate(['--print'], kw)
    expect(printed.code, printed.stderr).toBe(0)
    expect(printed.stdout).toMatch(
      new RegExp(
        `^-- The SQL \`keyward migrate\` runs on this sqlite database: ${SQLITE_VERSIONS.length} migrations`,
      ),
    )
    expect(printed.stdout).toContain('\nBEGIN;\n')
    expect(printed.stdout.trimEnd().endsWith('COMMIT;')).toBe(true)
    expect(printed.stderr).toContain('nothing was changed')
    expect(tables()).toEqual([])

    const db = new Database(path)
    db.exec(printed.stdout)
    db.close()
    expect(await kw.migrations.status()).toMatchObject({ current: true, applied: SQLITE_VERSIONS })
    const again = await migrate(['--print'], kw)
    expect(again.stdout).toBe(
      `-- Nothing to run: the sqlite database is current (version ${SQLITE_LATEST}).\n`,
    )
  })

  it('refuses a store that gives no statement recording a migration: its SQL would run twice', async () => {
    const { kw: plain, path } = await keywards.create({ migrate: false })
    await plain.close()
    const store = sqliteStore({ path })
    const withoutRecords: KeywardStore = {
      ...store,
      async migrationStatus() {
        const status = await store.migrationStatus?.()
        if (status === undefined) throw new Error('unreachable')
        return {
          ...status,
          pending: status.pending.map(({ version, statements }) => ({ version, statements })),
        }
      },
    }
    const kw = createKeyward({ store: withoutRecords, hasher: sha256Hasher() })
    try {
      const refused = await migrate(['--print'], kw)
      expect(refused.code).toBe(3)
      expect(refused.stderr).toContain(
        `does not give the statement that records migration ${SQLITE_VERSIONS.join(', ')}`,
      )
      expect(refused.stdout).toBe('')
    } finally {
      await kw.close()
    }
  })
})

describe('keyward migrate --status', () => {
  it('shows applied and pending, exit 1 while some are pending, 0 when current; --json is the core’s status', async () => {
    const { kw } = await keywards.create({ migrate: false })
    const before = await migrate(['--status'], kw)
    expect(before.code).toBe(1)
    expect(before.stdout).toMatch(/^pending +1 \(3 statements\), 2 \(1 statement\)/m)
    expect(before.stdout).toMatch(/^current +no$/m)
    expect(before.stderr).toContain(`${SQLITE_PENDING}. Run \`keyward migrate\``)
    const json = JSON.parse((await migrate(['--status', '--json'], kw)).stdout)
    expect(json).toEqual(JSON.parse(JSON.stringify(await kw.migrations.status())))
    expect(Object.keys(json.pending[0])).toEqual(['version', 'statements', 'record'])
    await kw.migrations.apply()
    const after = await migrate(['--status'], kw)
    expect(after.code).toBe(0)
    expect(after.stdout).toMatch(/^current +yes$/m)
  })
})

describe('keyward migrate', () => {
  it('applies what is pending with a progress bar on a terminal, says what it applied; a second run has nothing to do', async () => {
    const { kw, tables } = await keywards.create({ migrate: false })
    const applied = await migrate([], kw, true)
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.stdout).toBe('')
    expect(applied.stderr).toContain(`Migrating: ${SQLITE_PENDING}, ${SQLITE_STATEMENTS} statements`)
    expect(applied.stderr).toContain(
      `migrate [########################] 100% ${SQLITE_STATEMENTS}/${SQLITE_STATEMENTS}`,
    )
    expect(applied.stderr).toContain(
      `Applied migrations ${SQLITE_VERSIONS.join(', ')} (${SQLITE_STATEMENTS} statements): the sqlite database is current, at version ${SQLITE_LATEST}.`,
    )
    expect(tables()).toContain('keyward_tokens')
    const again = await migrate(['--json'], kw)
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)).toEqual({
      dialect: 'sqlite',
      migrated: [],
      statements: 0,
      applied: SQLITE_VERSIONS,
      current: true,
    })
    expect(again.stderr).toBe(
      `Nothing to migrate: the sqlite database is current, at version ${SQLITE_LATEST}.\n`,
    )
  })

  it('--json reports the migrations run; without a terminal no bar is drawn', async () => {
    const { kw } = await keywards.create({ migrate: false })
    const applied = await migrate(['--json'], kw)
    expect(JSON.parse(applied.stdout)).toEqual({
      dialect: 'sqlite',
      migrated: SQLITE_VERSIONS,
      statements: SQLITE_STATEMENTS,
      applied: SQLITE_VERSIONS,
      current: true,
    })
    expect(applied.stderr).not.toContain('[')
  })

  it('another deploy migrating first (between the status read and the lock): says this run applied nothing', async () => {
    const { kw, path } = await keywards.create({ migrate: false })
    const other = createKeyward({ store: sqliteStore({ path }), hasher: sha256Hasher() })
    let raced = false
    // The other deploy's migrate runs after this command read the status, before its own apply.
    const racing: Keyward = {
      ...kw,
      migrations: {
        ...kw.migrations,
        async status() {
          const status = await kw.migrations.status()
          if (!raced) {
            raced = true
            await other.migrations.apply()
          }
          return status
        },
      },
    }
    try {
      const run = await migrate(['--json'], racing)
      expect(run.code, run.stderr).toBe(0)
      expect(JSON.parse(run.stdout)).toEqual({
        dialect: 'sqlite',
        migrated: [],
        statements: 0,
        applied: SQLITE_VERSIONS,
        current: true,
      })
      expect(run.stderr).not.toContain('Applied migrations')
      expect(run.stderr).toContain(
        `Nothing left to migrate: another run applied version ${SQLITE_VERSIONS.join(', ')} meanwhile; the sqlite database is current, at version ${SQLITE_LATEST}.`,
      )
    } finally {
      await other.close()
    }
  })

  it('refuses contradictory or unknown options, before opening anything', async () => {
    const { kw, tables } = await keywards.create({ migrate: false })
    for (const argv of [['--print', '--status'], ['--print', '--json'], ['--dry-run']]) {
      const refused = await migrate(argv, kw)
      expect(refused.code, argv.join(' ')).toBe(2)
      expect(refused.hint).toBe('Run `keyward migrate --help`.')
    }
    expect(tables()).toEqual([])
  })

  it('an instance of an older @keyward/core without kw.migrations is a configuration error', async () => {
    const refused = await migrate(['--status'], {} as Keyward)
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain('keyward migrate needs kw.migrations.status()')
  })
})
