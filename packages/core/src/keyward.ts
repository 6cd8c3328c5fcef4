import { createAudit } from './audit.js'
import { createAuthFailures } from './auth-failures.js'
import { createAuthentication } from './authentication.js'
import { assertAuthenticateOptions, clientOfOptions } from './client-address.js'
import { createDoctor } from './doctor-run.js'
import { assembleStats, engineCounters } from './engine-stats.js'
import { createEventHub, type KeywardEvent, registerAnnouncer } from './events.js'
import { createExpiredNotices } from './expired-notices.js'
import { createExpiryWarnings } from './expiry-warnings.js'
import { deregisterInstance, registerInstance } from './instances.js'
import { Invalidations } from './invalidations.js'
import type { Keyward, KeywardOptions } from './keyward-types.js'
import { Lifecycle } from './lifecycle.js'
import { describeLifetime } from './lifetime.js'
import { createMigrations } from './migrations-admin.js'
import { createMissResolver } from './miss-resolver.js'
import { createPropagation } from './propagation.js'
import { createProtection } from './protection.js'
import { createSessions } from './sessions.js'
import { resolveSettings } from './settings.js'
import { SharedLevel } from './shared-level.js'
import { storeFailures } from './store-failures.js'
import { StoreOpening } from './store-opening.js'
import { createAdministration } from './token-admin.js'
import { createTokenCaches } from './token-caches.js'
import { displayPrefix } from './token-format.js'
import { createTokenIdentification } from './token-identify.js'
import { createTokenUpkeep } from './token-upkeep.js'
import { createUserAdministration } from './user-admin.js'
import { createVerdicts } from './verdicts.js'

export type * from './keyward-types.js'
export { storeFromEnv } from './store-opening.js'

/** The wiring: every part built once, in dependency order, then the facade over them. */
export function createKeyward(options: KeywardOptions = {}): Keyward {
  const settings = resolveSettings(options)
  const { clock, logger, cacheTtl, sharedTtl } = settings
  const lifecycle = new Lifecycle()
  const counters = engineCounters()
  const hub = createEventHub({ logger })

  // Store: opened on first use, with the deployment key; the shared level, authenticated under it.
  const opening = new StoreOpening({
    store: options.store,
    sharedCache: options.sharedCache,
    redisFromEnv: settings.redisFromEnv,
    logger,
    lifecycle,
  })
  const getStore = opening.get
  const shared = new SharedLevel({ deploymentKey: opening.deploymentKey, clock, logger })
  if (options.sharedCache) shared.attach(options.sharedCache)
  const { storeReads, report: reportStoreError } = storeFailures(options.storeReads, {
    ...settings,
    errors: counters.errors,
  })
  // The last option checks: nothing below may throw, since the bus is started there.
  const protection = createProtection(options.protection, clock)

  // This process's caches, then how invalidations reach them and every other process.
  const caches = createTokenCaches({ ...settings, store: getStore, reportStoreError, lifecycle, counters })
  const invalidations = new Invalidations({
    clock,
    logger,
    lifecycle,
    deploymentKey: opening.deploymentKey,
    shared,
    invalidate: caches.invalidate,
    heartbeat: settings.heartbeat,
    bounds: { cacheTtl, sharedTtl, versionTtl: settings.sessions?.versionTtl ?? 0 },
  })
  invalidations.everythingDropped.on(caches.dropEverything)
  opening.sharedOpened.on((redis) => invalidations.start(shared.attach(redis).bus))
  opening.opened.on((store) => {
    if (!shared.cache) invalidations.start(store.bus, typeof store.deploymentKey === 'function')
    invalidations.reportChannel(store)
  })
  if (shared.cache) invalidations.start(shared.cache.bus)
  if (options.store !== undefined && !('then' in options.store)) invalidations.reportChannel(options.store)

  const sessions =
    settings.sessions === null
      ? null
      : createSessions(settings.sessions, {
          clock,
          store: getStore,
          allowList: settings.allowList,
          onStoreError: (error) => reportStoreError(error, 'a session version read'),
          storeTimeout: settings.storeTimeout,
          storeReads,
          shared,
          sharedTtl,
        })
  if (sessions !== null) {
    invalidations.versionSeen.on(sessions.noteVersion)
    invalidations.everythingDropped.on(sessions.forgetVersions)
  }

  // The request path: verdicts, the miss resolver, authentication.
  const verdicts = createVerdicts(counters.rejections, settings.retryAfter, protection)
  const resolver = createMissResolver({
    ...settings,
    lifecycle,
    counters,
    ownPrefix: (id) => displayPrefix(settings.tokenPrefix, id),
    store: getStore,
    storeReads,
    reportStoreError,
    cache: caches.cache,
    fill: caches.fill,
    fence: caches.fence,
    shared,
    protection,
    verdicts,
    entryLimit: (limit) => invalidations.entryLimit(limit),
    invalidate: caches.invalidate,
    noticeExpired: createExpiredNotices({ clock, hub }),
  })
  caches.refreshDue.on((due) => lifecycle.runInBackground(resolver.refresh(due)))
  const authentication = createAuthentication({
    ...settings,
    counters,
    cache: caches.cache,
    caches,
    protection,
    verdicts,
    resolver,
    sessions,
  })
  // Events and the audit log: what the management calls announce once their change committed.
  const audit = createAudit({ enabled: settings.audit, clock, logger, lifecycle, store: getStore })
  const announce = async (events: readonly KeywardEvent[]) => {
    await audit.record(events)
    for (const event of events) hub.emit(event)
  }
  const failures = createAuthFailures({
    clock,
    interval: settings.failureInterval,
    rejections: counters.rejections,
    hub,
  })
  hub.listenersChanged.on((type, count) => {
    if (type === 'auth.failures' && !lifecycle.closed) failures.listeners(count)
  })

  const administration = createAdministration({
    ...settings,
    lifecycle,
    store: getStore,
    propagate: invalidations.propagate,
    announce,
    needs: (type) => settings.audit || hub.has(type),
  })
  const userAdministration = createUserAdministration({
    clock,
    lifecycle,
    store: getStore,
    sessions,
    propagate: invalidations.propagate,
    announce,
    revokeUserTokens: administration.revokeUserTokens,
  })
  const identify = createTokenIdentification({ ...settings, lifecycle, store: getStore })

  // The operator's calls: tokens across users, migrations, the doctor, the propagation bound.
  const upkeep = createTokenUpkeep({ clock, lifecycle, store: getStore })
  const warnExpiring = createExpiryWarnings({ clock, lifecycle, store: getStore, announce })
  const migrations = createMigrations({ lifecycle, store: opening.source })
  const propagation = createPropagation({
    lifecycle,
    store: getStore,
    shared,
    settings: { cacheTtl, sharedTtl, heartbeat: settings.heartbeat },
  })
  const doctor = createDoctor({
    lifecycle,
    store: getStore,
    deploymentKey: opening.deploymentKey,
    shared,
    probe: (timeoutMs) => invalidations.probe(timeoutMs),
    propagation: propagation.of,
    hasher: settings.hasher,
    storeTimeout: settings.storeTimeout,
  })

  const flush = async () => {
    await lifecycle.settle()
    await caches.lastUsed.flush()
  }
  const instance: Keyward = {
    tokenPrefix: settings.tokenPrefix,
    scopes: settings.scopeList,
    tokenLifetime: describeLifetime(settings.lifetime),
    check: authentication.check,
    checkCredential: authentication.checkCredential,
    authenticate: async (authorization, options) => {
      if (options === undefined) return authentication.check(authorization)
      assertAuthenticateOptions(options)
      return authentication.check(authorization, 'any', options, clientOfOptions)
    },
    credentialKind: authentication.credentialKind,
    tokens: {
      ...administration.tokens,
      identify,
      expiring: upkeep.expiring,
      purge: upkeep.purge,
      warnExpiring,
    },
    events: hub.events,
    audit: audit.audit,
    users: userAdministration.users,
    sessions: userAdministration.sessions,
    migrations,
    doctor,
    propagation: propagation.propagation,
    stats: () =>
      assembleStats({
        counters,
        cache: caches.cache,
        lastUsed: caches.lastUsed.stats,
        sessions: sessions?.stats ?? null,
        sharedCache: shared.stats,
        invalidations: invalidations.stats,
        redeliveries: () => invalidations.redeliveryStats,
        protection: protection.stats,
        storeGate: storeReads.stats,
        events: hub.stats,
        audit: audit.stats,
      }),
    flush,
    async close() {
      if (lifecycle.closed) return
      lifecycle.closed = true
      authentication.close()
      failures.stop()
      deregisterInstance(instance)
      invalidations.stopHeartbeat()
      // A store (and shared level) still opening must finish first, so that it is closed below.
      await opening.settled()
      // New requests now answer 503; let those in flight and background work finish, then write.
      await authentication.drain()
      await flush()
      caches.lastUsed.stop()
      if (caches.lastUsed.stats.pending > 0) {
        logger.warn(
          `closing with ${caches.lastUsed.stats.pending} last-used time(s) unwritten: the store did not accept them`,
        )
      }
      await invalidations.stopRedelivery()
      caches.cache.clear()
      await invalidations.closeBus()
      await shared.cache?.close()
      await opening.close()
    },
  }
  registerInstance(instance, logger)
  registerAnnouncer(instance, { announce, now: () => clock.now() })
  return instance
}
