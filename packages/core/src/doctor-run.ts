/**
 * `kw.doctor()`'s measurements: each probe timed, bounded by the timeout and caught, so that an
 * outage becomes a failing check and never an exception. Probes write no token and no Redis key
 * (the channel's probe is a message like any other) and leave no timer running. What each result
 * means is decided in doctor.ts.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import {
  channelCheck,
  DEFAULT_DOCTOR_TIMEOUT,
  type DoctorCheck,
  type DoctorOptions,
  type DoctorReport,
  deploymentKeyCheck,
  doctorReport,
  HASH_SAMPLES,
  hasherCheck,
  type KeyFinding,
  migrationsCheck,
  notReached,
  type Outcome,
  sharedCacheCheck,
  storeCheck,
} from './doctor.js'
import { type Duration, toMilliseconds } from './duration.js'
import { describeStoreError, KeywardError } from './errors.js'
import type { TokenHasher } from './hashing.js'
import type { Lifecycle } from './lifecycle.js'
import { assertKnownKeys } from './option-checks.js'
import type { Propagation } from './propagation.js'
import type { SharedLevel } from './shared-level.js'
import type { DeploymentKey } from './shared-trust.js'
import type { KeywardStore, MigrationStatus } from './store.js'
import { withTimeout } from './timeout.js'

export type DoctorContext = {
  lifecycle: Lifecycle
  /** Opens the store as requests do (its bus, its key). */
  store: () => Promise<KeywardStore>
  deploymentKey: DeploymentKey
  shared: SharedLevel
  /** Sends a probe through the invalidation bus and waits for it (see `Invalidations.probe`). */
  probe: (timeoutMs: number) => Promise<void>
  propagation: (store: KeywardStore) => Propagation
  hasher: TokenHasher
  storeTimeout: number
}

/** An id no token can have (ids are base62): reading it finds nothing and creates nothing. */
const PROBE_ID = 'keyward-doctor-probe'
const OPTIONS: ReadonlySet<string> = new Set(['hasher', 'timeout'])

function requireDoctorOptions(options: unknown): { hasher: boolean; timeout: number } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KeywardError('invalid_argument', 'doctor() options must be an object { hasher?, timeout? }.')
  }
  assertKnownKeys(
    options,
    OPTIONS,
    (key) => `Unknown doctor() option ${JSON.stringify(key)}`,
    'invalid_argument',
  )
  const { hasher = true, timeout = DEFAULT_DOCTOR_TIMEOUT } = options as DoctorOptions
  if (typeof hasher !== 'boolean') {
    throw new KeywardError(
      'invalid_argument',
      `doctor(): hasher must be true or false; got ${JSON.stringify(hasher)}.`,
    )
  }
  const ms = toMilliseconds(timeout as Duration, 'doctor(): timeout', 'invalid_argument')
  if (ms <= 0) throw new KeywardError('invalid_argument', 'doctor(): timeout must be more than 0.')
  return { hasher, timeout: ms }
}

/** Runs `work`, timed; an error or no answer within `timeoutMs` (0: no bound) is a failed outcome. */
async function timed<T>(work: () => Promise<T>, timeoutMs: number): Promise<Outcome<T>> {
  const started = performance.now()
  try {
    const value = await withTimeout(Promise.resolve().then(work), timeoutMs)
    return { ok: true, ms: performance.now() - started, value }
  } catch (error) {
    return { ok: false, error: describeStoreError(error) }
  }
}

/** The configured hasher's verification time: one hash, then `HASH_SAMPLES` verifications of it. */
async function hashSamples(hasher: TokenHasher): Promise<number[]> {
  const secret = randomBytes(32).toString('base64url')
  const stored = await hasher.hash(secret)
  const samples: number[] = []
  for (let i = 0; i < HASH_SAMPLES; i++) {
    const started = performance.now()
    const verified = await hasher.verify(stored, secret)
    samples.push(performance.now() - started)
    if (!verified) throw new Error('it did not verify a hash it had just made')
  }
  return samples
}

async function keyFinding(store: KeywardStore, context: DoctorContext, timeout: number): Promise<KeyFinding> {
  if (context.shared.raw?.key !== undefined) return { source: 'shared-cache' }
  if (typeof store.deploymentKey !== 'function') return { source: 'none', hasBus: store.bus !== undefined }
  return { source: 'store', read: await timed(() => context.deploymentKey.load(), timeout) }
}

async function runDoctor(context: DoctorContext, options: unknown = {}): Promise<DoctorReport> {
  const { hasher, timeout } = requireDoctorOptions(options)
  if (context.lifecycle.closed) throw new KeywardError('closed', 'This Keyward instance is closed.')
  const checks: DoctorCheck[] = []

  const opened = await timed(context.store, timeout)
  let status: MigrationStatus | null = null
  if (!opened.ok) {
    checks.push(storeCheck(opened, context.storeTimeout))
    checks.push(notReached('migrations'), notReached('deployment-key'), notReached('invalidation-channel'))
  } else {
    const store = opened.value
    // The migration status is a read that works on any database, migrated or not.
    const read = await timed<unknown>(
      () => (store.migrationStatus ? store.migrationStatus() : store.findToken(PROBE_ID)),
      timeout,
    )
    checks.push(storeCheck(read, context.storeTimeout))
    if (!read.ok) {
      checks.push(notReached('migrations'), notReached('deployment-key'), notReached('invalidation-channel'))
    } else {
      if (store.migrationStatus) status = read.value as MigrationStatus
      checks.push(migrationsCheck(status))
      checks.push(deploymentKeyCheck(await keyFinding(store, context, timeout)))
      const propagation = context.propagation(store)
      const probes = propagation.channel !== 'none' && propagation.channel !== 'local'
      // The probe bounds each of its two waits (the subscription, the round trip) by the timeout.
      const probe = probes ? await timed(() => context.probe(timeout), 0) : null
      checks.push(channelCheck(propagation, probe))
    }
  }

  const redis = context.shared.raw
  checks.push(sharedCacheCheck(redis === null ? null : await timed(() => redis.readToken(PROBE_ID), timeout)))
  const samples = hasher ? await timed(() => hashSamples(context.hasher), 0) : null
  checks.push(hasherCheck(context.hasher.parameters, samples))
  return doctorReport(checks)
}

/** `kw.doctor()` on the instance's parts. */
export function createDoctor(context: DoctorContext): (options?: DoctorOptions) => Promise<DoctorReport> {
  return (options) => runDoctor(context, options)
}
