/**
 * The DDL of each dialect, built from the one description of the tables and migrations in
 * store-schema.ts: what `migrate()` runs, what `migrationSql()` and `keyward migrate --print` print.
 * Pure string building: no driver, no drizzle.
 */
import type { StoreNaming } from './store-naming.js'
import {
  addedByLaterSteps,
  type ColumnSpec,
  type Dialect,
  type LogicalType,
  type MigrationStep,
  migrationsOf,
  pendingMigrations,
  TABLES,
  type TableSpec,
} from './store-schema.js'

/** What differs between dialects in the DDL. */
type DdlDialect = {
  /** A table's name as written in a statement (schema-qualified on Postgres when there is one). */
  table(name: string): string
  types: Readonly<Record<LogicalType, string>>
  addColumn: string
  /** What follows `PRIMARY KEY` for a key the database numbers itself. */
  autoIncrement: string
}

function ddlOf(dialect: Dialect, schema: string | null): DdlDialect {
  return dialect === 'postgres'
    ? {
        table: (name) => (schema ? `"${schema}"."${name}"` : `"${name}"`),
        types: { text: 'TEXT', bigint: 'BIGINT', integer: 'INTEGER' },
        addColumn: 'ADD COLUMN IF NOT EXISTS',
        autoIncrement: ' GENERATED ALWAYS AS IDENTITY',
      }
    : {
        table: (name) => `"${name}"`,
        types: { text: 'TEXT', bigint: 'INTEGER', integer: 'INTEGER' },
        addColumn: 'ADD COLUMN',
        autoIncrement: ' AUTOINCREMENT',
      }
}

/** A table's name as written in a statement: `table` is the name after the prefix (`tokens`). */
export function tableName(dialect: Dialect, naming: StoreNaming, table: string): string {
  return ddlOf(dialect, naming.schema).table(naming.tablePrefix + table)
}

function columnSql(column: ColumnSpec, ddl: Pick<DdlDialect, 'types' | 'autoIncrement'>): string {
  return [
    `"${column.name}" ${ddl.types[column.type]}`,
    column.primaryKey ? ' PRIMARY KEY' : '',
    column.autoIncrement ? ddl.autoIncrement : '',
    column.notNull ? ' NOT NULL' : '',
  ].join('')
}

type IndexSpec = NonNullable<TableSpec['indexes']>[number]

function indexSql(spec: TableSpec, index: IndexSpec, table: string, p: string): string {
  const columns = index.columns.map((key) => `"${(spec.columns[key] as ColumnSpec).name}"`)
  return `CREATE INDEX IF NOT EXISTS "${p}${index.name}" ON ${table} (${columns.join(', ')})`
}

/** `CREATE TABLE IF NOT EXISTS` for the bookkeeping table, on one line, as it has always been run. */
export function migrationsTableSql(dialect: Dialect, { schema, tablePrefix }: StoreNaming): string {
  const ddl = ddlOf(dialect, schema)
  const { name, columns } = TABLES.migrations
  const body = Object.values(columns as Record<string, ColumnSpec>).map((column) => columnSql(column, ddl))
  return `CREATE TABLE IF NOT EXISTS ${ddl.table(tablePrefix + name)} (${body.join(', ')})`
}

/**
 * The statement recording `version` in `<prefix>migrations`, for SQL run by hand (`migrationSql()`,
 * `keyward migrate --print`): idempotent, and stamped by the database's clock, where `migrate()`
 * binds its own.
 */
export function recordMigrationSql(dialect: Dialect, naming: StoreNaming, version: number): string {
  const table = tableName(dialect, naming, TABLES.migrations.name)
  return dialect === 'postgres'
    ? `INSERT INTO ${table} ("version", "applied_at") VALUES (${version}, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING`
    : `INSERT OR IGNORE INTO ${table} ("version", "applied_at") VALUES (${version}, CAST(strftime('%s', 'now') AS INTEGER) * 1000)`
}

function stepSql(step: MigrationStep, ddl: DdlDialect, p: string): string[] {
  if ('createIndex' in step) {
    const { table, index } = step.createIndex
    const spec: TableSpec = TABLES[table]
    const found = spec.indexes?.find((candidate) => candidate.name === index)
    if (found === undefined) throw new Error(`store-schema: ${table} has no index ${index}`)
    return [indexSql(spec, found, ddl.table(p + spec.name), p)]
  }
  if ('addColumn' in step) {
    const { table, column } = step.addColumn
    const spec = (TABLES[table].columns as Record<string, ColumnSpec>)[column] as ColumnSpec
    return [`ALTER TABLE ${ddl.table(p + TABLES[table].name)} ${ddl.addColumn} ${columnSql(spec, ddl)}`]
  }
  const spec: TableSpec = TABLES[step.createTable]
  const later = addedByLaterSteps(step.createTable, 'addColumn')
  const body = Object.entries(spec.columns)
    .filter(([key]) => !later.has(key))
    .map(([, column]) => columnSql(column, ddl))
  const table = ddl.table(p + spec.name)
  const laterIndexes = addedByLaterSteps(step.createTable, 'createIndex')
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (\n        ${body.join(',\n        ')}\n      )`,
    ...(spec.indexes ?? [])
      .filter((index) => !laterIndexes.has(index.name))
      .map((index) => indexSql(spec, index, table, p)),
  ]
}

/** The migrations not in `applied`, in version order, each with its statements. */
export function plannedMigrations(
  dialect: Dialect,
  { schema, tablePrefix }: StoreNaming,
  applied: ReadonlySet<number>,
): Array<{ version: number; statements: string[] }> {
  const ddl = ddlOf(dialect, schema)
  return pendingMigrations(migrationsOf(dialect), applied).map(({ version, steps }) => ({
    version,
    statements: steps.flatMap((step) => stepSql(step, ddl, tablePrefix)),
  }))
}
