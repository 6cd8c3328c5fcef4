/**
 * The app's drizzle schema, the file `drizzle.config.ts` points drizzle-kit at: the app's own tables,
 * and Keyward's, re-exported so that drizzle-kit knows them and proposes no `DROP TABLE` for them.
 */
import { keywardTables } from '@keyward/core/drizzle/postgres'
import { boolean, pgSchema, serial, text } from 'drizzle-orm/pg-core'

/** The Postgres schema the app keeps everything in (the test makes a fresh one per run). */
export const schemaName = process.env.DB_SCHEMA ?? 'app'
export const appSchema = pgSchema(schemaName)

export const users = appSchema.table('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  admin: boolean('admin').notNull().default(false),
})

export const notes = appSchema.table('notes', {
  id: serial('id').primaryKey(),
  userId: text('user_id').notNull(),
  text: text('text').notNull(),
})

// Named as the store is (`postgresStore({ db, schema: schemaName })`), so both describe one set of tables.
export const {
  tokens: keywardTokens,
  sessionVersions: keywardSessionVersions,
  meta: keywardMeta,
  migrations: keywardMigrations,
  audit: keywardAudit,
  expiryWarnings: keywardExpiryWarnings,
} = keywardTables({ schema: schemaName })

export type User = typeof users.$inferSelect
