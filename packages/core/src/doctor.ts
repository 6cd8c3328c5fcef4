/**
 * `kw.doctor()`'s decisions, as pure functions of what was measured: each check's status and a
 * detail that says what to do. The measuring (I/O, timers) is in doctor-run.ts. The thresholds are
 * explained in the core README's "Doctor" section.
 */
import type { DurationString } from './duration.js'
import type { Argon2Parameters, HasherParameters } from './hashing.js'
import type { InvalidationChannel } from './invalidation-channel.js'
import type { Propagation } from './propagation.js'
import type { MigrationStatus } from './store.js'

export type DoctorCheckName =
  | 'store'
  | 'migrations'
  | 'deployment-key'
  | 'invalidation-channel'
  | 'shared-cache'
  | 'hasher'

export type DoctorCheck = {
  readonly name: DoctorCheckName
  readonly status: 'ok' | 'warn' | 'fail' | 'skipped'
  /** What was found and, unless all is well, what to do about it. */
  readonly detail: string
  /** How long the measured operation took (the hasher: the median verification). */
  readonly ms?: number
}

export type DoctorReport = {
  /** No check failed (a warning still leaves it true). */
  readonly ok: boolean
  readonly checks: readonly DoctorCheck[]
}

export type DoctorOptions = {
  /** Time verifications with the configured hasher (default true; `false` skips the check). */
  hasher?: boolean
  /** How long each probe may take before its check fails: a duration string, default `'5s'`. */
  timeout?: DurationString
}

/** A measured operation: its time, or why it gave no answer. */
export type Outcome<T = unknown> = { ok: true; ms: number; value: T } | { ok: false; error: string }

export const DEFAULT_DOCTOR_TIMEOUT: DurationString = '5s'
/** Verifications timed by the hasher check; the median is kept, so that one slow run (a cold start) does not count. */
export const HASH_SAMPLES = 5
/**
 * A verification slower than this makes cache misses expensive: each one holds its request that
 * long, and one core verifies fewer than ten tokens a second, so a cold cache (a deploy) queues.
 */
export const SLOW_HASH_MS = 100
/**
 * OWASP's argon2id configurations, equally strong (Password Storage Cheat Sheet), one lane each.
 * Parameters at or above any one of them meet OWASP's minimum (`OWASP_ARGON2ID` is the second).
 */
export const OWASP_ARGON2ID_CONFIGURATIONS: ReadonlyArray<Pick<Argon2Parameters, 'memoryCost' | 'timeCost'>> =
  Object.freeze([
    { memoryCost: 47_104, timeCost: 1 },
    { memoryCost: 19_456, timeCost: 2 },
    { memoryCost: 12_288, timeCost: 3 },
    { memoryCost: 9_216, timeCost: 4 },
    { memoryCost: 7_168, timeCost: 5 },
  ])

const round = (ms: number) => Math.round(ms * 10) / 10

function check(
  name: DoctorCheckName,
  status: DoctorCheck['status'],
  detail: string,
  ms?: number,
): DoctorCheck {
  return Object.freeze(ms === undefined ? { name, status, detail } : { name, status, detail, ms: round(ms) })
}

/** A check not run because the store could not be reached. */
export function notReached(name: DoctorCheckName): DoctorCheck {
  return check(name, 'skipped', 'not checked: the store could not be reached (see the store check).')
}

/** Reachable; a warning when one read takes over half the store timeout (misses would near a 503). */
export function storeCheck(read: Outcome<unknown>, storeTimeout: number): DoctorCheck {
  if (!read.ok) {
    return check(
      'store',
      'fail',
      `the store did not answer: ${read.error}. Check KEYWARD_DATABASE_URL (or the store's options) and that the database is up and reachable from this machine.`,
    )
  }
  if (storeTimeout > 0 && read.ms > storeTimeout / 2) {
    return check(
      'store',
      'warn',
      `one read took ${round(read.ms)} ms, over half the store timeout (${storeTimeout} ms): cache misses come close to answering 503. Look at the database's load and the network to it.`,
      read.ms,
    )
  }
  return check('store', 'ok', `reachable: one read took ${round(read.ms)} ms.`, read.ms)
}

/** Current, or a failure naming the pending versions; skipped for a store that cannot tell. */
export function migrationsCheck(status: MigrationStatus | null): DoctorCheck {
  if (status === null) {
    return check(
      'migrations',
      'skipped',
      'the store cannot report its migrations (it has no migrationStatus()): make sure its migrate() runs on deploy.',
    )
  }
  const versions = status.pending.map((migration) => migration.version)
  if (versions.length > 0) {
    return check(
      'migrations',
      'fail',
      `${versions.length} migration(s) pending on ${status.dialect} (version ${versions.join(', ')}): run \`keyward migrate\` (or store.migrate()).`,
    )
  }
  const at = status.applied.at(-1)
  return check(
    'migrations',
    'ok',
    `current on ${status.dialect}${at === undefined ? '' : `, at version ${at}`}.`,
  )
}

export type KeyFinding =
  | { source: 'shared-cache' }
  | { source: 'store'; read: Outcome<Uint8Array> }
  | { source: 'none'; hasBus: boolean }

export function deploymentKeyCheck(found: KeyFinding): DoctorCheck {
  const name = 'deployment-key'
  if (found.source === 'shared-cache')
    return check(name, 'ok', "the shared cache's own key (redisCache({ key })).")
  if (found.source === 'none') {
    return found.hasBus
      ? check(
          name,
          'warn',
          'the store has no deploymentKey(): invalidation messages between processes are not authenticated. Use a store that keeps a key, or a Redis shared cache with redisCache(…, { key }).',
        )
      : check(
          name,
          'skipped',
          'the store has no deploymentKey(), and nothing shared between processes needs one.',
        )
  }
  const { read } = found
  if (!read.ok) {
    return check(
      name,
      'fail',
      `could not be read: ${read.error}. Run \`keyward migrate\`, which creates it in the <prefix>meta table.`,
    )
  }
  return check(
    name,
    'ok',
    `readable (${read.value.length} bytes): it signs what processes share through Redis and the bus.`,
    read.ms,
  )
}

const CHANNEL_NAMES: Readonly<Record<InvalidationChannel, string>> = {
  postgres: 'Postgres LISTEN/NOTIFY',
  redis: 'Redis pub/sub',
  sqlite: 'the SQLite invalidation table',
  store: "the store's own bus",
  local: 'nothing (in memory)',
  none: 'nothing',
}

const CHANNEL_HINTS: Readonly<Record<InvalidationChannel, string>> = {
  postgres:
    'Check that this process can LISTEN on the database (a pooler in transaction mode cannot: pass listen: { url } to postgresStore).',
  redis: 'Check that Redis is reachable and accepts SUBSCRIBE from this machine.',
  sqlite: 'Check that <prefix>invalidations exists (run `keyward migrate`) and that the file is writable.',
  store: "Check the custom store's bus.",
  local: '',
  none: '',
}

/** Proven by a probe that came back; a warning without a channel; nothing to prove in memory. */
export function channelCheck(propagation: Propagation, probe: Outcome | null): DoctorCheck {
  const name = 'invalidation-channel'
  const { channel } = propagation
  if (channel === 'local') return check(name, 'skipped', propagation.description)
  if (channel === 'none' || probe === null) return check(name, 'warn', propagation.description)
  const over = CHANNEL_NAMES[channel]
  if (!probe.ok) {
    return check(
      name,
      'fail',
      `a probe sent over ${over} did not come back (${probe.error}): revocations may reach other processes only when their cache entries expire, within ${propagation.fallbackMs} ms. ${CHANNEL_HINTS[channel]}`,
    )
  }
  const sqlite =
    channel === 'sqlite'
      ? ' (written to the invalidation table, which other processes poll, and delivered in this process at once)'
      : ''
  return check(
    name,
    'ok',
    `a probe went out over ${over} and came back in ${round(probe.ms)} ms${sqlite}; revocations reach other processes within ${propagation.boundMs} ms.`,
    probe.ms,
  )
}

export function sharedCacheCheck(read: Outcome<unknown> | null): DoctorCheck {
  const name = 'shared-cache'
  if (read === null) return check(name, 'skipped', 'no Redis shared cache is configured.')
  if (!read.ok) {
    return check(
      name,
      'fail',
      `Redis did not answer: ${read.error}. Check KEYWARD_REDIS_URL (or redisCache's url) and that Redis is up; meanwhile authentication carries on through the in-process cache and the store.`,
    )
  }
  return check(name, 'ok', `Redis answered a read in ${round(read.ms)} ms.`, read.ms)
}

/** At or above one of OWASP's configurations (any parallelism). */
export function meetsOwasp(parameters: Pick<Argon2Parameters, 'memoryCost' | 'timeCost'>): boolean {
  return OWASP_ARGON2ID_CONFIGURATIONS.some(
    (minimum) => parameters.memoryCost >= minimum.memoryCost && parameters.timeCost >= minimum.timeCost,
  )
}

function describeHasher(parameters: HasherParameters | undefined): string {
  if (parameters === undefined) return 'a custom hasher (parameters unknown)'
  const { algorithm, memoryCost: m, timeCost: t, parallelism: p } = parameters
  return m === undefined ? algorithm : `${algorithm} m=${m} KiB, t=${t}, p=${p}`
}

/** The median of `samples` (ms each) weighed against `SLOW_HASH_MS`, and argon2id's parameters against OWASP. */
export function hasherCheck(
  parameters: HasherParameters | undefined,
  samples: Outcome<number[]> | null,
): DoctorCheck {
  const name = 'hasher'
  if (samples === null) return check(name, 'skipped', 'not measured (hasher: false).')
  if (!samples.ok) return check(name, 'fail', `the hasher failed: ${samples.error}. Check its configuration.`)
  const sorted = [...samples.value].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0
  const what = `${describeHasher(parameters)}: ${round(median)} ms a verification on this machine (median of ${sorted.length})`
  const problems: string[] = []
  const { memoryCost, timeCost } = parameters ?? {}
  if (parameters?.algorithm === 'argon2id' && memoryCost !== undefined && timeCost !== undefined) {
    if (!meetsOwasp({ memoryCost, timeCost })) {
      problems.push(
        "below OWASP's minimum for argon2id (m=19456 KiB with t=2, or m=47104/t=1, 12288/t=3, 9216/t=4, 7168/t=5): raise memoryCost or timeCost",
      )
    }
  }
  if (median > SLOW_HASH_MS) {
    problems.push(
      `over ${SLOW_HASH_MS} ms: every cache miss waits that long, and one core verifies about ${Math.floor(1000 / median)} tokens a second. Lower the parameters toward OWASP's minimum, or give the process more CPU`,
    )
  }
  if (problems.length > 0) return check(name, 'warn', `${what}; ${problems.join('; ')}.`, median)
  const note =
    parameters?.algorithm === 'sha256' ? ' (the fast option: no memory-hard defence for a leaked table)' : ''
  return check(name, 'ok', `${what}${note}.`, median)
}

export function doctorReport(checks: readonly DoctorCheck[]): DoctorReport {
  return Object.freeze({
    ok: !checks.some((c) => c.status === 'fail'),
    checks: Object.freeze([...checks]),
  })
}
