export type {
  Actor,
  ActorKind,
  KnownActor,
} from './actor.js'
export type { AppSession, AppSessionUser } from './app-session.js'
export type {
  AuditAction,
  AuditEntry,
  AuditPage,
  AuditPageOptions,
  AuditPurgeOptions,
  KeywardAudit,
} from './audit.js'
export { type AuthenticateOptions, type ClientReader, clientKey } from './client-address.js'
export { type Clock, systemClock } from './clock.js'
export type { CrossSiteOptions, CrossSiteReaders } from './cross-site.js'
export { type Duration, toMilliseconds } from './duration.js'
export {
  AUTH_ERRORS,
  type AuthError,
  type AuthErrorCode,
  type AuthErrorName,
  type AuthErrorStatus,
  authError,
  insufficientScopeError,
  isKeywardError,
  KEYWARD_ERROR_CODES,
  KeywardError,
  type KeywardErrorCode,
  unavailableError,
} from './errors.js'
export {
  EVENT_TYPES,
  type KeywardEvent,
  type KeywardEventListener,
  type KeywardEventMap,
  type KeywardEvents,
  type KeywardEventType,
  type LeakReport,
} from './events.js'
export type { ExpiryWarning, ExpiryWarnings, WarnExpiringOptions } from './expiry-warnings.js'
export {
  assertEndpointPath,
  createSecretScanningHandler,
  type GitHubPublicKey,
  type GitHubPublicKeys,
  type ReportedToken,
  type SecretScanningErrorCode,
  type SecretScanningFeedback,
  type SecretScanningHandler,
  type SecretScanningOptions,
  type SecretScanningRequest,
  type SecretScanningResult,
} from './github-secret-scanning.js'
export {
  type Argon2HasherOptions,
  type Argon2Parameters,
  argon2Hasher,
  type HasherParameters,
  OWASP_ARGON2ID,
  sha256Hasher,
  type TokenHasher,
} from './hashing.js'
export { type AuthorizationInput, type HeaderParseResult, parseAuthorization } from './header.js'
export {
  assertRequiredScopes,
  authorizationFromRawHeaders,
  type CookieReader,
  createGuard,
  defaultKeyward,
  failureFor,
  type Guard,
  type GuardOptions,
  type GuardResult,
  type HttpFailure,
  type RequestReaders,
  scopeFailure,
} from './http.js'
export type { InvalidationChannel } from './invalidation-channel.js'
export {
  type AcceptedCredentials,
  type ApplyMigrationsOptions,
  type AuthResult,
  type CreatedToken,
  type CreateTokenInput,
  type CredentialKind,
  type CredentialShape,
  createKeyward,
  type DoctorCheck,
  type DoctorCheckName,
  type DoctorOptions,
  type DoctorReport,
  type ExpiringTokensOptions,
  type Keyward,
  type KeywardMigrations,
  type KeywardOptions,
  type KeywardStats,
  type Logger,
  type MigrationStatus,
  type Propagation,
  type PurgeResult,
  type PurgeTokensOptions,
  type RejectionReason,
  type ScopeInfo,
  storeFromEnv,
  type TokenPage,
  type TokenPageOptions,
  type TokenRecord,
  type TokenStatus,
} from './keyward.js'
export {
  isRealToken,
  LEAKED_REASON,
  type LeakOptions,
  type LeakReportInput,
  type LeakVerdict,
  revokeLeakedToken,
  revokeLeakedTokens,
} from './leak-report.js'
export type { TokenLifetime, TokenLifetimeOptions } from './lifetime.js'
export type { Principal } from './principal.js'
export { assertRegisteredScopes } from './registered-scopes.js'
export { definePrincipalAccessor, realmOf, rememberRealm, storePrincipal } from './request-slots.js'
export {
  type CachedBodyReads,
  type RawBody,
  readCachedBytes,
  readNodeBody,
  readNodeBytes,
  readWebBody,
  readWebBytes,
} from './route-bodies.js'
export {
  type GitHubCustomPattern,
  type GitleaksRuleOptions,
  githubCustomPattern,
  gitleaksRules,
  type ScannerRuleOptions,
} from './scanner-rules.js'
export { createScopeCheck } from './scope-check.js'
export {
  defineScopes,
  type Register,
  type RegisteredScope,
  type RegisteredScopeInfo,
  type RequiredScope,
  type ScopeRegistry,
} from './scope-registry.js'
export { authorize, grantCovers, hasAllScopes, hasAnyScope, hasScope } from './scopes.js'
export {
  type IssuedSession,
  SESSION_TOKEN_TYPE,
  type SessionClaims,
  type SessionOptions,
} from './sessions.js'
export type {
  AuditQuery,
  AuditRow,
  ExpiringTokenQuery,
  ExpiryClaim,
  KeywardStore,
  MigrateOptions,
  ProgressCallback,
  PurgeQuery,
  RevokeInput,
  TokenExpectation,
  TokenPageQuery,
  TokenPatch,
  TokenRow,
} from './store.js'
export type { StoreFromEnvOptions } from './store-opening.js'
export type { BreakerState, StoreReadOptions, StoreReadStats } from './store-reads.js'
export {
  checksum,
  MAX_TOKEN_LENGTH,
  type ParsedToken,
  parseToken,
  TOKEN_PREFIX_PATTERN,
  TOKEN_REGEX,
  type TokenParseResult,
  type TokenRejection,
  tokenPattern,
} from './token-format.js'
export {
  type AuditEntryJSON,
  assertMountPrefix,
  createTokenRoutes,
  PAGE_CSP,
  pathBelow,
  type RouteBody,
  type RouteUser,
  type SettingsPageOptions,
  type TokenJSON,
  type TokenRouteErrorCode,
  type TokenRouteRequest,
  type TokenRouteResponse,
  type TokenRoutes,
  type TokenRoutesOptions,
} from './token-routes.js'
export type { UserCutOff } from './users.js'
