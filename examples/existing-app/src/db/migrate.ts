import type { Pool } from 'pg'

/**
 * The app's own migration, as `drizzle-kit generate` wrote it for `schema.ts` (inline here so that
 * the schema name follows DB_SCHEMA). Keyward's tables are not in it: `store.migrate()` owns them.
 */
export async function migrateApp(pool: Pool, schemaName: string): Promise<void> {
  const s = `"${schemaName.replaceAll('"', '""')}"`
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    // Several processes may start at once; `IF NOT EXISTS` alone races.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('existing-app migrations'))`)
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`)
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}."users" ("id" text PRIMARY KEY NOT NULL, "name" text NOT NULL, "admin" boolean DEFAULT false NOT NULL)`,
    )
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}."notes" ("id" serial PRIMARY KEY NOT NULL, "user_id" text NOT NULL, "text" text NOT NULL)`,
    )
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK')
    throw error
  } finally {
    client.release()
  }
}
