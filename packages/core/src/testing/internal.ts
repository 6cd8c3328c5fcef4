/**
 * Core's test helpers for the other packages of this repository (`@keyward/core/internal/testing`,
 * resolved from source only): not public API, not published, and free to change at any time.
 */

export { plannedMigrations } from '../store-ddl.js'
export {
  type Backend,
  backends,
  eventually,
  manualClock,
  postgresBackend,
  sqliteBackend,
  TEST_DATABASE_URL,
  type TestStore,
  wrongSecret,
} from './backends.js'
export { faultProxy, skipNotice, TEST_REDIS_URL, testRedis } from './services.js'
