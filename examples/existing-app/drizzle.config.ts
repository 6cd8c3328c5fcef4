import { defineConfig } from 'drizzle-kit'

// drizzle-kit reads the schema file that re-exports Keyward's tables, so it proposes nothing for them.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  schemaFilter: [process.env.DB_SCHEMA ?? 'app'],
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
})
