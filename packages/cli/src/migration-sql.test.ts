import type { MigrationStatus } from '@keyward/core'
import { describe, expect, it } from 'vitest'
import { migrationScript, statementCount, statusPairs, unrecordedVersions } from './migration-sql.js'

const pending: MigrationStatus = {
  dialect: 'postgres',
  applied: [1, 2, 3],
  pending: [
    { version: 4, statements: ['CREATE INDEX a', 'CREATE INDEX b'], record: 'INSERT 4' },
    { version: 5, statements: ['ALTER TABLE t\n  ADD c'], record: 'INSERT 5' },
  ],
  current: false,
  setup: ['CREATE SCHEMA IF NOT EXISTS "auth"', 'CREATE TABLE IF NOT EXISTS m'],
}

describe('migrationScript', () => {
  it('is one transaction: setup, then each migration’s statements and its record, each ;-terminated', () => {
    const script = migrationScript(pending)
    const sql = script.split('\n').filter((line) => !line.startsWith('--') && line !== '')
    expect(sql).toEqual([
      'BEGIN;',
      'CREATE SCHEMA IF NOT EXISTS "auth";',
      'CREATE TABLE IF NOT EXISTS m;',
      'CREATE INDEX a;',
      'CREATE INDEX b;',
      'INSERT 4;',
      'ALTER TABLE t',
      '  ADD c;',
      'INSERT 5;',
      'COMMIT;',
    ])
    expect(script.split('\n')[0]).toBe(
      '-- The SQL `keyward migrate` runs on this postgres database: 2 migrations pending (version 4, 5).',
    )
    expect(script).toContain('-- migration 4\n')
  })

  it('on a current database is a comment alone: nothing to run', () => {
    const current = { ...pending, applied: [1, 2, 3, 4, 5], pending: [], current: true }
    expect(migrationScript(current)).toBe('-- Nothing to run: the postgres database is current (version 5).')
  })

  it('counts statements, and tells the versions a custom store gives no record for', () => {
    expect(statementCount(pending)).toBe(3)
    expect(unrecordedVersions(pending)).toEqual([])
    const custom = {
      ...pending,
      pending: pending.pending.map(({ version, statements }) => ({ version, statements })),
    }
    expect(unrecordedVersions(custom)).toEqual([4, 5])
  })
})

describe('statusPairs', () => {
  it('shows what has run, what is pending with its statement count, and whether it is current', () => {
    expect(statusPairs(pending)).toBe(
      'dialect  postgres\napplied  1, 2, 3\npending  4 (2 statements), 5 (1 statement)\ncurrent  no',
    )
    expect(statusPairs({ dialect: 'sqlite', applied: [], pending: [], current: true })).toBe(
      'dialect  sqlite\napplied  none\npending  none\ncurrent  yes',
    )
  })
})
