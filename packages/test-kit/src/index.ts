/** The conformance suites the adapters and examples share, and the helpers they are built from. */
export {
  backends,
  faultProxy,
  manualClock,
  postgresBackend,
  TEST_DATABASE_URL,
  testRedis,
  wrongSecret,
} from '@keyward/core/internal/testing'
export { conformance } from './conformance.js'
export { exampleTokenRoutesTest } from './example-settings.js'
export { exampleSmokeTest } from './example-smoke.js'
export {
  type App,
  badGrantFor,
  grantFor,
  type Harness,
  loginUser,
  type Reply,
  type RequestingApp,
  type RequestOptions,
} from './harness.js'
export { type AppProcess, type NodeProcess, startAppProcess, startNodeProcess } from './processes.js'
export { loopbackRequest, overLoopback, overLoopbackServer, rawRequest } from './requests.js'
export { type ScopeRegistryHarness, scopeRegistryConformance } from './scope-registry-cases.js'
export {
  githubKeyPair,
  SECRET_SCANNING_PATH,
  type SecretScanningHarness,
  type SecretScanningTestOptions,
  secretScanningConformance,
} from './secret-scanning-cases.js'
export {
  type SettingsPageHarness,
  type SettingsPageRouteOptions,
  settingsPageConformance,
} from './settings-page-cases.js'
export { demoToken, type RunningExample, startExample } from './smoke.js'
export type { RouteTestOptions, TokenRoutesHarness } from './token-route-context.js'
export { tokenRoutesConformance } from './token-routes-conformance.js'
