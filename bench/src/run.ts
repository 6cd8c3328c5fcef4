/**
 * `npm run bench`: every server in its own process, autocannon on loopback for a bounded time,
 * the same route and payload; then the abuse scenarios. Prints a table and writes
 * docs/benchmarks.md with the table, the machine, the command and an SVG chart.
 * Not a test: it asserts nothing; it reports against the targets.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { hash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { apiKey } from '@better-auth/api-key'
import { createKeyward, type KeywardStats } from '@keyward/core'
import { postgresStore } from '@keyward/core/postgres'
import { sqliteStore } from '@keyward/core/sqlite'
import { betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import postgres from 'postgres'
import { abuseScenarios } from './abuse.js'
import type { LoadJob, LoadResult } from './load.js'

// Short runs and many rounds: on this shared VM the speed changes within seconds, and a variant is
// compared with its reference's runs just before and after it (see referenceAt).
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
// Rounds of paired runs: a cache-hit variant and its reference served side by side (see measurePair).
// An even number, so that each of the two starts first equally often.
const PAIRED_ROUNDS = Number(process.env.BENCH_PAIRED_ROUNDS ?? 8)
const PAIRED_SECONDS = 3
// Extra Node flags for every server process, to look inside one (BENCH_NODE_FLAGS="--cpu-prof").
const SERVER_FLAGS = process.env.BENCH_NODE_FLAGS?.split(' ').filter((flag) => flag !== '') ?? []
// Pipelined requests keep the server, not autocannon, the bottleneck: without them one core of
// autocannon saturates before a bare Hono route does, and every variant looks alike.
const CONNECTIONS = 10
const PIPELINING = 10
const PG_URL = process.env.KEYWARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.KEYWARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const STATIC_TOKEN = randomBytes(24).toString('hex')
/** A round whose two runs of a reference differ by more than this share is left out of the ratios. */
const DRIFT_LIMIT = 0.1
/** A run whose server was on its core less than this share of the time is repeated (see measure). */
const BUSY_FLOOR = 0.9
/** Side by side, each server's share of the two servers' CPU time must be this close to half. */
const FAIR_SHARE_TOLERANCE = 0.05
const ATTEMPTS = 3

type Row = {
  variant: string
  framework: string
  label: string
  reqs: number
  p50: number
  p99: number
  /** Server CPU time per request in µs (user + system), where /proc tells it. */
  cpuPerRequest: number | null
  ratio?: number
  /** Rounds whose ratio to the reference was kept (see referenceAt), or paired runs measured. */
  keptRounds: number
  /** Whether the ratio comes from paired runs (see measurePair). */
  paired: boolean
  /** The ratio from the solo runs, and how many rounds it kept: shown beside a paired one. */
  sequentialRatio: number
  sequentialRounds: number
  /** Keyward servers: requests answered per argon2id verification (median of the rounds). */
  requestsPerVerification?: number
}

type Sample = {
  /** When the measured run started (ms since the epoch), to place it between two reference runs. */
  at: number
  reqs: number
  p50: number
  p99: number
  cpuPerRequest: number | null
  requestsPerVerification?: number
  /** False when the server was on its core less than BUSY_FLOOR of the run even on its last attempt. */
  saturated: boolean
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

async function reachable(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check()
    return true
  } catch {
    return false
  }
}

// On a machine with two or more cores the server gets the last core and the load generator the
// first, each to itself: otherwise the scheduler moves them around and a run measures the scheduler.
const CORES = cpus().length
const PINNED = process.platform === 'linux' && CORES >= 2 && hasTaskset()
const SERVER_CORE = String(CORES - 1)
const LOAD_CORE = '0'

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0
}

function pinned(core: string, command: string, args: string[]): [string, string[]] {
  return PINNED ? ['taskset', ['-c', core, command, ...args]] : [command, args]
}

/** CPU time (user + system) a process has used, in ms; null where /proc is not available. */
function cpuMs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    // utime and stime are fields 14 and 15 of stat, i.e. 12 and 13 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return null
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100

async function startServer(
  env: Record<string, string>,
): Promise<{ port: number; pid: number | undefined; stop(): Promise<KeywardStats | null> }> {
  // Compiled JavaScript against the packages' dist: what an application runs.
  const [command, args] = pinned(SERVER_CORE, process.execPath, [
    ...SERVER_FLAGS,
    fileURLToPath(new URL('./server.js', import.meta.url)),
  ])
  const child: ChildProcess = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (c) => {
    output += c
  })
  child.stderr?.on('data', (c) => {
    output += c
  })
  let spawnError: Error | null = null
  child.once('error', (error) => {
    spawnError = error
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 30_000
  while (!/listening (\d+)/.test(output)) {
    if (spawnError !== null)
      throw new Error(`server ${env.VARIANT} could not be started`, { cause: spawnError })
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill()
      throw new Error(`server ${env.VARIANT} did not start:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 25))
  }
  return {
    port: Number(/listening (\d+)/.exec(output)?.[1]),
    pid: child.pid,
    /** Stops the server; a Keyward server tells its stats as it exits. */
    async stop() {
      child.kill('SIGTERM')
      await exited
      const stats = /^stats (.*)$/m.exec(output)?.[1]
      return stats === undefined ? null : (JSON.parse(stats) as KeywardStats)
    },
  }
}

async function load(port: number, authorization: string | null, seconds: number): Promise<LoadResult> {
  const job: LoadJob = {
    url: `http://127.0.0.1:${port}/r`,
    authorization,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    seconds,
  }
  const [command, args] = pinned(LOAD_CORE, process.execPath, [
    fileURLToPath(new URL('./load.js', import.meta.url)),
    JSON.stringify(job),
  ])
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.on('data', (c) => {
    output += c
  })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('exit', resolve)
    child.once('error', reject)
  })
  if (code !== 0) throw new Error(`the load generator exited with ${code}`)
  return JSON.parse(output) as LoadResult
}

const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-'))
const sqlitePath = join(dir, 'bench.db')
const pgSchema = `keyward_bench_${randomBytes(4).toString('hex')}`
const redisPrefix = `keyward-bench:${randomBytes(4).toString('hex')}:`
const admin = postgres(PG_URL, { max: 1, onnotice: () => {}, connect_timeout: 3 })
const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
redis.on('error', () => {})

try {
  const hasPostgres = await reachable(() => admin`SELECT 1`)
  const hasRedis = await reachable(async () => {
    await redis.connect()
    await redis.ping()
  })

  // Tokens: one on SQLite (also better-auth's database), one on Postgres.
  const sqlite = sqliteStore({ path: sqlitePath })
  await sqlite.migrate()
  const kwSqlite = createKeyward({ store: sqlite, tokenPrefix: 'bench' })
  const sqliteToken = (
    await kwSqlite.tokens.create({ userId: 'bench', name: 'bench', scopes: ['repo:read'] })
  ).token
  await kwSqlite.close()
  const hotPath = await hotPathNanoseconds(sqlitePath, sqliteToken)
  console.info(
    `in process: check() on a cache hit ${hotPath.check.toFixed(0)} ns, SHA-256 of the header alone ${hotPath.digest.toFixed(0)} ns`,
  )
  let pgToken = ''
  if (hasPostgres) {
    const store = postgresStore({ url: PG_URL, schema: pgSchema })
    await store.migrate()
    const kw = createKeyward({ store, tokenPrefix: 'bench' })
    pgToken = (await kw.tokens.create({ userId: 'bench', name: 'bench' })).token
    await kw.close()
  }
  const betterAuthDatabase = new Database(sqlitePath)
  const auth = betterAuth({
    database: betterAuthDatabase,
    secret: 'benchmark-secret-benchmark-secret-0123',
    emailAndPassword: { enabled: true },
    plugins: [apiKey({ rateLimit: { enabled: false } })],
    telemetry: { enabled: false },
  })
  await (await getMigrations(auth.options)).runMigrations()
  const { user } = await auth.api.signUpEmail({
    body: { email: 'bench@example.com', password: 'bench-password-123', name: 'bench' },
  })
  const betterKey = (await auth.api.createApiKey({ body: { userId: user.id } })).key
  betterAuthDatabase.close()

  const env = {
    SQLITE_PATH: sqlitePath,
    PG_URL,
    PG_SCHEMA: pgSchema,
    REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    STATIC_TOKEN,
  }
  // paired: a variant whose ratio is measured side by side with its reference (see measurePair);
  // only servers that do all their work on the main thread, so that the core is shared fairly.
  type Variant = {
    variant: string
    framework: string
    label: string
    token: string | null
    paired?: boolean
    skip?: string
  }
  // The same rows for every framework: the references, the SHA-256 + LRU floor, and Keyward on each store.
  const frameworkVariants = (framework: string, peers: Variant[], after: Variant[]): Variant[] => [
    { variant: `${framework}-bare`, framework, label: 'bare route', token: null, paired: true },
    {
      variant: `${framework}-trivial`,
      framework,
      label: 'trivial string-compare middleware',
      token: STATIC_TOKEN,
      paired: true,
    },
    ...peers,
    {
      variant: `${framework}-sha256-lru`,
      framework,
      label: 'floor: SHA-256 of the header + LRU lookup',
      token: STATIC_TOKEN,
      paired: true,
    },
    {
      variant: `${framework}-keyward-sqlite`,
      framework,
      label: 'Keyward, cache hit (SQLite)',
      token: sqliteToken,
      paired: true,
    },
    {
      variant: `${framework}-keyward-postgres`,
      framework,
      label: 'Keyward, cache hit (Postgres)',
      token: pgToken,
      paired: true,
      ...(hasPostgres ? {} : { skip: 'no Postgres' }),
    },
    {
      variant: `${framework}-keyward-redis`,
      framework,
      label: 'Keyward, cache hit (SQLite + Redis L2)',
      token: sqliteToken,
      paired: true,
      ...(hasRedis ? {} : { skip: 'no Redis' }),
    },
    {
      variant: `${framework}-keyward-miss`,
      framework,
      label: 'Keyward, cache off: every request a miss (argon2id)',
      token: sqliteToken,
    },
    ...after,
  ]
  const variants: Variant[] = [
    ...frameworkVariants(
      'hono',
      [
        {
          variant: 'hono-bearerauth',
          framework: 'hono',
          label: "Hono's bearerAuth (static token)",
          token: STATIC_TOKEN,
        },
      ],
      [
        {
          variant: 'hono-better-auth',
          framework: 'hono',
          label: 'better-auth api-key plugin (same SQLite)',
          token: betterKey,
        },
      ],
    ),
    ...frameworkVariants('express', [], []),
    ...frameworkVariants('koa', [], []),
  ]

  // Rounds interleave the variants, and each row is the median of its rounds: on a small machine
  // shared with the load generator, one long run per variant is at the mercy of whatever else runs.
  // BENCH_ONLY=hono-trivial,hono-keyward-sqlite runs just those (for a quick A/B).
  const only = process.env.BENCH_ONLY?.split(',')
  const active = variants.filter((v) => {
    if (v.skip) console.info(`skipping ${v.variant}: ${v.skip}`)
    return !v.skip && (!only || only.includes(v.variant))
  })
  // Hono leaves its single-handler fast path as soon as any middleware exists, so its reference is
  // the trivial middleware; Express and Koa compare with their bare route.
  const referenceOf = (framework: string) => (framework === 'hono' ? 'hono-trivial' : `${framework}-bare`)
  // Within a round each of a framework's variants runs between two runs of its reference, and its
  // ratio divides by the reference interpolated to when it ran: a variant is compared with what the
  // machine gave its reference seconds before and after, so that a drift cancels out.
  const again = (reference: string) => `${reference} (again)`

  const authorizationOf = (v: Variant) => (v.token === null ? null : `Bearer ${v.token}`)
  // One request alone first, so that a Keyward server's first miss (an argon2 verification) does not
  // hold the warm-up's 100 requests in flight: objects that survive a scavenge in such a burst can
  // turn on V8's allocation-site pretenuring, and then a process runs at about half speed until a
  // full GC (see docs/benchmarks.md).
  const firstRequest = async (v: Variant, port: number) => {
    const authorization = authorizationOf(v)
    const first = await fetch(`http://127.0.0.1:${port}/r`, {
      headers: authorization === null ? {} : { authorization },
      signal: AbortSignal.timeout(30_000),
    })
    if (first.status !== 200) throw new Error(`${v.variant}: the first request answered ${first.status}`)
    await first.text()
  }
  const answeredAll = (v: Variant, result: LoadResult) => {
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${v.variant}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
  }
  // A Keyward server tells its stats as it exits. A Redis outage would quietly leave only the
  // in-process level: make sure Redis served (a write, or a hit on the entry an earlier server wrote
  // for the same token).
  const checkedStats = (v: Variant, stats: KeywardStats | null): KeywardStats | null => {
    if (!v.variant.includes('-keyward-')) return null
    if (stats === null) throw new Error(`${v.variant}: the server did not report its stats`)
    const { sharedCache } = stats
    if (
      v.variant.endsWith('-redis') &&
      (sharedCache.errors > 0 || sharedCache.writes + sharedCache.hits === 0)
    ) {
      throw new Error(`${v.variant}: Redis was not used (${JSON.stringify(sharedCache)})`)
    }
    return stats
  }

  type Measured = { sample: Sample; serverBusy: number | null; loadBusy: number }
  const measureOnce = async (v: Variant): Promise<Measured> => {
    const server = await startServer({ ...env, VARIANT: v.variant })
    const authorization = authorizationOf(v)
    let measured: Measured | undefined
    let requests = 0
    let stats: KeywardStats | null = null
    try {
      await firstRequest(v, server.port)
      const warmUp = await load(server.port, authorization, 1)
      const at = Date.now()
      const cpuBefore = cpuMs(server.pid)
      const result = await load(server.port, authorization, SECONDS)
      const cpuAfter = cpuMs(server.pid)
      answeredAll(v, result)
      const cpuPerRequest =
        cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / result.total
      measured = {
        sample: {
          at,
          reqs: result.reqsPerSecond,
          p50: result.p50,
          p99: result.p99,
          cpuPerRequest,
          saturated: true,
        },
        serverBusy:
          cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / result.durationMs,
        loadBusy: result.loadBusy,
      }
      requests = 1 + warmUp.total + result.total
    } finally {
      stats = checkedStats(v, await server.stop())
    }
    if (stats !== null)
      measured.sample.requestsPerVerification = requests / Math.max(1, stats.hashVerifications)
    return measured
  }

  /**
   * A variant and its reference served side by side: both servers on the server core at once, each
   * under its own autocannon, so that whatever the machine does to that core in those seconds it does
   * to both. The scheduler gives each single-threaded server half the core, so the ratio of their
   * req/s is the ratio of their CPU cost per request, the quantity a solo run's ratio estimates too.
   */
  const measurePairOnce = async (
    reference: Variant,
    v: Variant,
    round: number,
  ): Promise<{
    ratio: number
    busy: number | null
    referenceShare: number | null
    reqs: [number, number]
  }> => {
    // Which of the two starts first alternates between rounds.
    const pair = round % 2 === 0 ? [reference, v] : [v, reference]
    const servers: Array<Awaited<ReturnType<typeof startServer>>> = []
    let measured: Awaited<ReturnType<typeof measurePairOnce>> | undefined
    let stopped: Array<PromiseSettledResult<KeywardStats | null>> = []
    try {
      for (const x of pair) {
        const server = await startServer({ ...env, VARIANT: x.variant })
        servers.push(server)
        await firstRequest(x, server.port)
      }
      const loads = (seconds: number) =>
        Promise.all(pair.map((x, i) => load(servers[i]?.port ?? 0, authorizationOf(x), seconds)))
      await loads(1)
      const before = servers.map((server) => cpuMs(server.pid))
      const results = await loads(PAIRED_SECONDS)
      const after = servers.map((server) => cpuMs(server.pid))
      for (const [i, result] of results.entries()) answeredAll(pair[i] as Variant, result)
      const reqsOf = (x: Variant) => results[pair.indexOf(x)]?.reqsPerSecond ?? Number.NaN
      // CPU time over the whole span from the first load's start to the last one's end: a load that
      // started late leaves the other server alone on the core meanwhile, and that counts against it.
      const used = servers.map((_, i) => {
        const [start, end] = [before[i], after[i]]
        return start == null || end == null ? Number.NaN : end - start
      })
      const span =
        Math.max(...results.map((r) => r.startedAt + r.durationMs)) -
        Math.min(...results.map((r) => r.startedAt))
      const total = used.reduce((sum, ms) => sum + ms, 0)
      const known = Number.isFinite(total)
      measured = {
        ratio: reqsOf(v) / reqsOf(reference),
        busy: known ? total / span : null,
        referenceShare: known && total > 0 ? (used[pair.indexOf(reference)] as number) / total : null,
        reqs: [reqsOf(reference), reqsOf(v)],
      }
    } finally {
      // Every server is stopped, even when one of them fails to tell its stats.
      stopped = await Promise.allSettled(servers.map((server) => server.stop()))
    }
    for (const [i, outcome] of stopped.entries()) {
      if (outcome.status === 'rejected') throw outcome.reason
      checkedStats(pair[i] as Variant, outcome.value)
    }
    return measured
  }
  // A run in which the server was on its core less than BUSY_FLOOR of the time did not measure the
  // server: the load generator fell behind, or the machine took the core away. It is run again, up
  // to ATTEMPTS times in all; a last attempt that is still short is kept for the rows but left out
  // of every ratio. Unpinned, the server shares its core with autocannon, so the rule cannot apply.
  const repeated = new Map<string, number>()
  const unsaturated = new Map<string, number>()
  const count = (map: Map<string, number>, name: string) => map.set(name, (map.get(name) ?? 0) + 1)
  type Attempt<T> = { value: T; saturated: boolean; line: string }
  const untilSaturated = async <T>(
    name: string,
    shortfall: string,
    attempt: () => Promise<Attempt<T>>,
  ): Promise<Attempt<T>> => {
    for (let n = 1; ; n++) {
      const outcome = await attempt()
      const retry = !outcome.saturated && n < ATTEMPTS
      console.info(outcome.line + (outcome.saturated ? '' : `  (${shortfall}${retry ? ': run again' : ''})`))
      if (!retry) {
        if (!outcome.saturated) count(unsaturated, name)
        return outcome
      }
      count(repeated, name)
    }
  }
  const measure = async (v: Variant, round: number, name = v.variant): Promise<Sample> => {
    const { value } = await untilSaturated(v.variant, 'server not saturated', async () => {
      const { sample, serverBusy, loadBusy } = await measureOnce(v)
      const { reqs, cpuPerRequest, requestsPerVerification } = sample
      sample.saturated = !PINNED || serverBusy === null || serverBusy >= BUSY_FLOOR
      const line =
        `round ${round + 1}: ${name.padEnd(28)} ${reqs.toFixed(0).padStart(8)} req/s` +
        (cpuPerRequest === null ? '' : `  ${cpuPerRequest.toFixed(1).padStart(6)} µs CPU/req`) +
        (serverBusy === null ? '' : `  server busy ${percentOrNa(serverBusy, 0).padStart(4)}`) +
        `  load busy ${percentOrNa(loadBusy, 0).padStart(4)}` +
        (v.variant.endsWith('-miss') && requestsPerVerification !== undefined
          ? `  ${requestsPerVerification.toFixed(0)} requests per argon2id verification`
          : '')
      return { value: sample, saturated: sample.saturated, line }
    })
    return value
  }

  const pairedRatios = new Map<string, number[]>()
  const measurePair = async (reference: Variant, v: Variant, round: number): Promise<void> => {
    const name = `paired ${v.variant} / ${reference.variant}`
    const { value: ratio, saturated } = await untilSaturated(
      name,
      'not saturated or not shared fairly',
      async () => {
        const { ratio, busy, referenceShare, reqs } = await measurePairOnce(reference, v, round)
        // Busy enough, and shared fairly: a server that got much more than half the core had a
        // neighbour whose autocannon fell behind, and the ratio would say so instead of their costs.
        const fair = referenceShare === null || Math.abs(referenceShare - 0.5) <= FAIR_SHARE_TOLERANCE
        const line =
          `round ${round + 1}: ${name.padEnd(52)} ${percentOrNa(ratio, 1).padStart(6)}  (${reqs.map((r) => r.toFixed(0)).join(' / ')} req/s)` +
          (busy === null ? '' : `  core busy ${percentOrNa(busy, 0)}`) +
          (referenceShare === null ? '' : `, ${percentOrNa(referenceShare, 0)} of it to the reference`)
        return { value: ratio, saturated: !PINNED || ((busy === null || busy >= BUSY_FLOOR) && fair), line }
      },
    )
    if (saturated) pairedRatios.set(v.variant, [...(pairedRatios.get(v.variant) ?? []), ratio])
  }

  // Each round holds one sample per variant (a reference's first run), and every run of each reference.
  type Round = { samples: Map<string, Sample>; referenceRuns: Map<string, Sample[]> }
  const rounds: Round[] = []
  for (let round = 0; round < Math.max(ROUNDS, PAIRED_ROUNDS); round++) {
    if (round < PAIRED_ROUNDS) {
      for (const v of active) {
        const reference = active.find((r) => r.variant === referenceOf(v.framework))
        if (v.paired && reference !== undefined && v !== reference) await measurePair(reference, v, round)
      }
    }
    if (round >= ROUNDS) continue
    const samples = new Map<string, Sample>()
    const referenceRuns = new Map<string, Sample[]>()
    rounds.push({ samples, referenceRuns })
    const runReference = async (reference: Variant) => {
      const runs = referenceRuns.get(reference.variant) ?? []
      referenceRuns.set(reference.variant, runs)
      const name = runs.length === 0 ? reference.variant : again(reference.variant)
      runs.push(await measure(reference, round, name))
      if (!samples.has(reference.variant)) samples.set(reference.variant, runs[0] as Sample)
    }
    for (const framework of frameworksOf(active)) {
      const reference = active.find((v) => v.variant === referenceOf(framework))
      if (reference !== undefined) await runReference(reference)
      for (const v of active.filter((v) => v.framework === framework && v !== reference)) {
        samples.set(v.variant, await measure(v, round))
        if (reference !== undefined) await runReference(reference)
      }
    }
  }
  // A reference's row sums up all its runs; any other row, its one run a round.
  const of = (variant: string) =>
    rounds.flatMap((round) => {
      const sample = round.samples.get(variant)
      return round.referenceRuns.get(variant) ?? (sample === undefined ? [] : [sample])
    })
  // A ratio is the median of each round's ratio. Against a framework's reference it divides by the
  // reference's runs just before and after the variant, interpolated to when the variant ran; a run
  // whose two neighbouring reference runs differ by more than DRIFT_LIMIT is left out, since a shared
  // machine that changed speed that much in a few seconds may have changed it anywhere in between.
  // Against any other variant (bearerAuth, better-auth, Hono's bare route) it is a plain ratio of the
  // two runs of the round.
  const referenceAt = (round: Round, reference: string, at: number): number => {
    const runs = round.referenceRuns.get(reference)
    const reqsOf = (run: Sample | undefined) => (run?.saturated ? run.reqs : Number.NaN)
    if (runs === undefined) return reqsOf(round.samples.get(reference))
    const before = runs.findLast((run) => run.at <= at)
    const after = runs.find((run) => run.at > at)
    if (before === undefined || after === undefined) return reqsOf(before ?? after)
    if (!before.saturated || !after.saturated) return Number.NaN
    if (Math.abs(after.reqs - before.reqs) > DRIFT_LIMIT * Math.min(after.reqs, before.reqs))
      return Number.NaN
    return before.reqs + ((after.reqs - before.reqs) * (at - before.at)) / (after.at - before.at)
  }
  const roundRatios = (variant: string, reference: string) =>
    rounds
      .map((round) => {
        const sample = round.samples.get(variant)
        return sample?.saturated ? sample.reqs / referenceAt(round, reference, sample.at) : Number.NaN
      })
      .filter((ratio) => !Number.isNaN(ratio))
  const rows: Row[] = active.map((v) => {
    const list = of(v.variant)
    const cpu = list.map((s) => s.cpuPerRequest).filter((c): c is number => c !== null)
    const isReference = v.variant === referenceOf(v.framework)
    const paired = pairedRatios.get(v.variant)
    const sequential = roundRatios(v.variant, referenceOf(v.framework))
    return {
      ...v,
      reqs: median(list.map((s) => s.reqs)),
      p50: median(list.map((s) => s.p50)),
      p99: median(list.map((s) => s.p99)),
      cpuPerRequest: cpu.length > 0 ? median(cpu) : null,
      ratio: isReference ? 1 : median(paired ?? sequential),
      keptRounds: (paired ?? sequential).length,
      paired: paired !== undefined,
      sequentialRatio: isReference ? 1 : median(sequential),
      sequentialRounds: sequential.length,
      requestsPerVerification: median(
        list.map((s) => s.requestsPerVerification).filter((n): n is number => n !== undefined),
      ),
    }
  })

  const abuse = only ? [] : await abuseScenarios(dir)
  const report = renderReport(rows, abuse, roundRatios, hotPath, { repeated, unsaturated })
  console.info(`\n${report.table}\n\n${abuse.join('\n')}\n\n${report.verdicts.join('\n')}`)
  // A partial or instrumented run prints its table but leaves the published report alone.
  if (!only && SERVER_FLAGS.length === 0) {
    writeFileSync(fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url)), report.markdown)
    writeFileSync(fileURLToPath(new URL('../../docs/benchmarks.svg', import.meta.url)), report.svg)
    console.info('\nwrote docs/benchmarks.md and docs/benchmarks.svg')
  }
} finally {
  await admin.unsafe(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`).catch(() => {})
  await admin.end({ timeout: 2 }).catch(() => {})
  const keys = await redis.keys(`${redisPrefix}*`).catch(() => [] as string[])
  if (keys.length > 0) await redis.del(...keys).catch(() => {})
  redis.disconnect()
  rmSync(dir, { recursive: true, force: true })
}

/**
 * The hot path alone, in this process and without HTTP: `check()` on a cache hit, and the SHA-256
 * of the same header that any design hashing the token pays. Medians of 7 batches, in ns a call.
 */
async function hotPathNanoseconds(path: string, token: string): Promise<{ check: number; digest: number }> {
  const kw = createKeyward({ store: sqliteStore({ path }), tokenPrefix: 'bench' })
  try {
    const header = `Bearer ${token}`
    if (!(await kw.authenticate(header)).ok) throw new Error('the hot-path token did not authenticate')
    const hit = kw.check(header)
    if (hit instanceof Promise || !hit.ok) throw new Error('a cache hit was not answered synchronously')
    const perCall = (work: () => unknown) => {
      const batches: number[] = []
      for (let batch = 0; batch < 7; batch++) {
        const calls = 200_000
        const start = process.hrtime.bigint()
        for (let i = 0; i < calls; i++) work()
        batches.push(Number(process.hrtime.bigint() - start) / calls)
      }
      return median(batches)
    }
    return { check: perCall(() => kw.check(header)), digest: perCall(() => hash('sha256', header, 'base64')) }
  } finally {
    await kw.close()
  }
}

function percentOrNa(ratio: number | undefined, digits: number): string {
  return ratio === undefined || Number.isNaN(ratio) ? 'n/a' : `${(ratio * 100).toFixed(digits)}%`
}

function frameworksOf(rows: Array<{ framework: string }>): string[] {
  return [...new Set(rows.map((r) => r.framework))]
}

function renderReport(
  rows: Row[],
  abuse: string[],
  roundRatios: (variant: string, reference: string) => number[],
  hotPath: { check: number; digest: number },
  runs: { repeated: Map<string, number>; unsaturated: Map<string, number> },
) {
  const ratioOf = (variant: string, reference: string) => median(roundRatios(variant, reference))
  const keptOf = (variant: string, reference: string) =>
    `${roundRatios(variant, reference).length} of ${ROUNDS} rounds`
  const counts = (map: Map<string, number>) =>
    map.size === 0 ? 'none' : [...map].map(([variant, count]) => `${variant} ${count}`).join(', ')
  const header =
    '| framework | server | req/s | p50 ms | p99 ms | server CPU µs/req | vs reference, side by side | vs reference, solo runs |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |'
  const lines = rows.map(
    (r) =>
      `| ${r.framework} | ${r.label} | ${r.reqs.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.cpuPerRequest?.toFixed(1) ?? 'n/a'} | ${r.paired ? percentOrNa(r.ratio, 1) : ''} | ${percentOrNa(r.sequentialRatio, 0)} |`,
  )
  const table = [header, ...lines].join('\n')
  const has = (variant: string) => rows.some((r) => r.variant === variant)
  const verdicts: string[] = []
  const verdict = (text: string, value: number, target: number) =>
    verdicts.push(
      `${text}: ${Number.isNaN(value) ? 'not measured (its reference did not run, or every round was disturbed)' : value >= target ? 'met' : 'NOT met'}`,
    )
  for (const row of rows) {
    if (!row.variant.includes('keyward') || row.variant.endsWith('-miss')) continue
    const percent = (row.ratio ?? Number.NaN) * 100
    const floor = rows.find((r) => r.variant === `${row.framework}-sha256-lru`)
    const floorNote = floor ? `; the SHA-256 + LRU floor is ${percentOrNa(floor.ratio, 1)}` : ''
    verdict(
      `${row.framework}, ${row.label}: ${percentOrNa(row.ratio, 1)} of the reference, ${
        row.paired
          ? `median of ${row.keptRounds} of ${PAIRED_ROUNDS} side-by-side runs (solo runs: ${percentOrNa(row.sequentialRatio, 1)}, ${row.sequentialRounds} of ${ROUNDS} rounds kept)`
          : `median of ${row.keptRounds} of ${ROUNDS} rounds`
      } (target ≥ 90%, aim 97%${floorNote})`,
      percent,
      90,
    )
  }
  if (has('hono-keyward-sqlite') && has('hono-bearerauth')) {
    const percent = ratioOf('hono-keyward-sqlite', 'hono-bearerauth') * 100
    verdict(
      `Keyward hit vs Hono bearerAuth: ${percent.toFixed(0)}%, median of ${keptOf('hono-keyward-sqlite', 'hono-bearerauth')} (target ≥ 95%)`,
      percent,
      95,
    )
  }
  if (has('hono-keyward-sqlite') && has('hono-better-auth')) {
    const times = ratioOf('hono-keyward-sqlite', 'hono-better-auth')
    verdict(
      `Keyward hit vs better-auth api-key: ${times.toFixed(1)}x, median of ${keptOf('hono-keyward-sqlite', 'hono-better-auth')} (target ≥ 10x)`,
      times,
      10,
    )
  }

  const max = Math.max(...rows.map((r) => r.reqs))
  const barHeight = 22
  const width = 900
  const labelWidth = 380
  const svgRows = rows
    .map((r, i) => {
      const y = 40 + i * (barHeight + 8)
      const w = Math.max(1, ((width - labelWidth - 90) * r.reqs) / max)
      const colour = r.variant.includes('keyward')
        ? '#2f6fdf'
        : r.variant.includes('bare') || r.variant.includes('trivial')
          ? '#9aa5b1'
          : '#e07b39'
      return `<text x="${labelWidth - 10}" y="${y + 16}" text-anchor="end" font-size="13">${r.framework}: ${r.label.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text><rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${colour}"/><text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 16}" font-size="13">${(r.reqs / 1000).toFixed(1)}k</text>`
    })
    .join('\n  ')
  const height = 60 + rows.length * (barHeight + 8)
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" role="img" aria-labelledby="title">
  <title id="title">Keyward benchmark: requests per second of each server</title>
  <text x="10" y="22" font-size="16" font-weight="bold">Requests per second (higher is better): grey = reference, blue = Keyward, orange = peers</text>
  ${svgRows}
</svg>
`
  const honoBareNote =
    has('hono-bare') && has('hono-trivial') && has('hono-keyward-sqlite')
      ? `\nAgainst Hono's bare route (its single-handler fast path, which any middleware leaves), the trivial middleware is at ${(ratioOf('hono-trivial', 'hono-bare') * 100).toFixed(0)}% and Keyward's cache hit (SQLite) at ${(ratioOf('hono-keyward-sqlite', 'hono-bare') * 100).toFixed(0)}% (medians of ${keptOf('hono-trivial', 'hono-bare')} and ${keptOf('hono-keyward-sqlite', 'hono-bare')}).\n`
      : ''
  const missNotes = rows
    .filter((r) => r.variant.endsWith('-miss') && Number.isFinite(r.requestsPerVerification))
    .map((r) => {
      const perVerification = r.requestsPerVerification ?? Number.NaN
      return `- ${r.framework}: one verification answered ${perVerification.toFixed(0)} requests (median of the rounds), about ${(r.reqs / perVerification).toFixed(0)} verifications a second.`
    })
    .join('\n')
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`
  const markdown = `# Benchmarks

Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine}.

- Each server runs in its own process, from the compiled JavaScript an application runs. The load
  generator, autocannon, runs in another process: \`GET /r\` over loopback, ${CONNECTIONS} connections with
  ${PIPELINING} pipelined requests each, for ${SECONDS} s after a 1 s warm-up. Every route answers \`ok\`.
- ${PINNED ? `The server has core ${SERVER_CORE} to itself and autocannon core ${LOAD_CORE} (\`taskset\`).` : 'Processes were not pinned to cores (this machine has one core, or no `taskset`).'}
  Pipelining keeps the server the bottleneck: unpipelined, autocannon spends about as much CPU on a
  request as a bare Hono route does (measured by hand on 2026-11-24), so its own core could cap the
  fastest variants.
- Before the warm-up each server answers one request alone (for Keyward, the token's first miss), so
  that the warm-up starts on a filled cache; see "V8 and the first miss" below.
- Solo runs: the variants run alone in ${ROUNDS} interleaved rounds. req/s, latencies and server CPU
  time per request are the medians of those rounds (for a reference, of all its runs). Within a
  round each of a framework's variants runs between two runs of the framework's reference, and its
  solo ratio divides by that reference interpolated to when it ran; where those two reference runs
  differ by more than ${DRIFT_LIMIT * 100}%, the machine changed speed around the variant and that round is left
  out of its ratio. The comparisons with bearerAuth, better-auth and Hono's bare route are plain
  ratios of the solo runs within each round.
- Side-by-side runs, for the cache-hit, floor and trivial rows and Hono's bare route: in each of
  ${PAIRED_ROUNDS} rounds the variant and its reference run at the same time, both servers on the server core,
  each under its own autocannon, for ${PAIRED_SECONDS} s after a 1 s warm-up; which of the two starts first
  alternates. A pair counts only if the two servers together kept the core ${BUSY_FLOOR * 100}% busy from the
  first load's start to the last one's end, and each had ${(50 - FAIR_SHARE_TOLERANCE * 100).toFixed(0)}–${(50 + FAIR_SHARE_TOLERANCE * 100).toFixed(0)}% of their CPU time (else
  one autocannon fell behind); otherwise it is run again, like a solo run below. The scheduler gives each single-threaded server half
  the core, so the ratio of their req/s is the ratio of their CPU cost per request, which is what a
  solo ratio estimates; but whatever the machine does to the core in those seconds, it does to both.
  On this shared VM the solo ratio of one variant moved by 15–20% from round to round, while
  side-by-side ratios of one pair stayed within a few percent (seen by hand on 2026-12-01), so the
  verdicts use the side-by-side ratio where there is one and show the solo one beside it. Servers
  that work off the main thread (argon2id in the cache-off rows, the WebCrypto digests of
  bearerAuth, better-auth) would take more than half the core that way, so they run solo only.
- A run in which the server (side by side: the two servers) was on its core less than ${BUSY_FLOOR * 100}% of
  the time did not measure the server (autocannon fell behind, or the machine took the core away:
  both were seen here) and was run again, at most ${ATTEMPTS} times in all. A last attempt still short of that counts in its row but in
  no ratio, neither as a variant nor as a reference. Runs repeated: ${counts(runs.repeated)}. Last
  attempts still short: ${counts(runs.unsaturated)}.
- The reference is the bare route for Express and Koa, and for Hono a route behind a trivial
  one-line middleware (Hono leaves its single-handler fast path as soon as any middleware exists).
  The trivial middleware rows for Express and Koa show what any middleware costs there.
- Latencies include the time a request waits behind the others pipelined on its connection.

![requests per second](benchmarks.svg)

${table}

${verdicts.map((v) => `- ${v}`).join('\n')}
${honoBareNote}

The "cache off" rows run with the in-process cache off, so every request is a miss: a store read
and an argon2id verification. Concurrent requests for the same token still share one of each, as
they would in production, so these rows measure that sharing, not argon2id's own rate:
${missNotes}

A cache hit costs one SHA-256 of the Authorization header as it arrived, one map lookup by that
digest and a clock read. In process, without HTTP, \`check()\` on a cache hit took
${hotPath.check.toFixed(0)} ns a call, of which the SHA-256 of the header alone took ${hotPath.digest.toFixed(0)} ns (medians of
7 batches of 200,000 calls). The floor rows (a middleware that does a SHA-256 of the header and one
LRU lookup, nothing else) show what any design that hashes the token on every request pays in each
framework; the trivial-middleware rows show what adding any middleware costs before it does anything.

In Express, \`req.principal\` is an accessor on Express's request prototype, not a property of each
request (measured by hand on 2026-12-01): Express gives each request its app's prototype with
\`Object.setPrototypeOf\`, after which V8 builds a new hidden class for every property added to that
request. Adding one cost 3.6–4.1 µs a request in a loop that builds requests the way Express does.
The accessor keeps the value in the request's \`res.locals\`, a dictionary Express already creates for
each request, under a symbol.

Where the cost goes, side by side (by hand on 2026-12-01, two servers sharing one core as above, 6
or 8 pairs each; the run reported here may differ by a few points):
- Express: the trivial middleware costs about 4% of the bare route's throughput (one more router
  layer) and the floor about 7%. Keyward's cost above the floor was where it kept the principal.
  Against the same adapter storing nothing, a WeakMap entry per request cost 2.6%, an own property
  2.7%, a WeakMap behind the accessor 4.8% (the adapter until then, at 95% of the floor) and a
  symbol in \`res.locals\` 0.3% (1.5% more when defined non-enumerable). With the last, Keyward ran at
  99% of the floor and at 99% of a floor server that also loads Keyward and its SQLite store without
  using them. Under this load Express also spends 15 to 30% of a request in young-generation garbage
  collection (\`--trace-gc\`, by hand on 2026-12-01, the bare route included): each scavenge took 9 to
  13 ms, against 0.3 ms in Koa, and 25 to 40 MB of promoted objects piled up between full GCs, the
  signature of the half-speed state described under "V8 and the first miss", here in all 9 Express
  processes timed. How much it costs moves from process to process: in 2 of 4 pairs the Keyward
  server spent 30% more scavenge time per request than the floor, in the other 2 about 7% more. A
  floor server that merely loads Keyward and its SQLite store (and verifies the token once) spent 17
  to 90% more than the plain floor in 4 of 4 pairs: in Express, most of what Keyward still cost on a
  hit came from the heap it occupied, not from the code it runs. About 4 MiB of that heap was
  lru-cache allocating arrays for the full bound of Keyward's internal caches before any token
  arrived (2.8 MiB for the 100,000-entry map of verified digests alone). Those caches now grow with
  what they hold: a new instance with its SQLite store and one verified token adds about 0.3 MiB
  (heap and array buffers), against about 4 MiB before. Solo, alternating, 4 rounds of 6 s each
  (\`--trace-gc\`, by hand on 2026-12-01), the Keyward server spent 24.4 to 25.2 µs of scavenge time
  per request before that change and 20.6 to 23.2 µs after it, against 19.3 to 21.2 µs for the floor.
  Code that is merely loaded costs too: side by side (8 pairs each, by hand on 2026-12-01), a floor
  server that also imported Keyward's core without using it ran at 98.0% of the floor, and one that
  kept 2.5 MiB of plain objects alive at 97.7%; in Express under this load each live MiB costs about
  1%. The core has since loaded jose (0.7 MiB) only for an instance with session tokens. Most of the
  rest of the SQLite variant's 3 MiB of modules is drizzle-orm and its driver, which an application
  that uses drizzle has loaded already, and which the floor server does not load. Against a floor
  server that also loads drizzle-orm and postgres.js and keeps a connection open, as an application
  on Postgres does (by hand on 2026-12-02), the Keyward server on Postgres ran at 100.4% of it solo
  (alternating, 4 rounds of 5 s after a 3 s warm-up; both at about 94.5% of the bare route) and at
  97.7% side by side (8 pairs). That floor ran at 99.9% of the plain floor side by side (4 pairs),
  so the cost per live MiB above does not hold for every heap. Express also takes seconds to reach
  its full speed under this load: in 1 s loads one after another from a server's start it served
  1,800 to 4,800 req/s in the first second and about 10,000 only from the third to the sixth, and
  some servers, the floor among them, then fell to about 5,500 req/s for several seconds at a time
  (6 servers, by hand on 2026-12-02). The 1 s warm-up used here leaves part of each Express
  measurement inside that climb, for the reference and the variant alike.
- Koa: an empty middleware costs nothing measurable (99.7% of the bare route), but one SHA-256 of a
  constant string per request cost 7% side by side. A \`perf\` profile of a Keyward server under load
  (solo, by hand on 2026-12-01) puts the hash itself, with OpenSSL's set-up and the base64 output,
  at about 0.3 µs of a request's 22 µs, and all the code Keyward runs at about 0.45 µs; the rest of
  the 1 µs that server spent above the bare route was in Node's and Koa's own code, inlined and
  collected differently once anything is added. The scan of \`rawHeaders\` for repeated Authorization
  lines and Keyward's adapter around \`check()\` cost nothing measurable (100% of an empty middleware,
  99.9% of a bare \`check()\` call). Keyward ran at 99.7% of the floor, and both at about 90.5% of the
  bare route.
- Hono: Keyward was at or above the floor.

So in Express and Koa the floor itself is only a few points above 90% on this machine, and a design
that hashes the token on every request has little more than that to spend. Keeping a plaintext
header per connection would skip the hash, but Keyward never keeps a plaintext token.

## V8 and the first miss

This section reports an investigation made by hand on 2026-11-24 (repeated server runs, with and
without the flags named below); \`npm run bench\` does not repeat it. Without that first lone request, about 1 in 12 Keyward server processes ran at half speed for the
whole measurement; a Koa server with the trivial middleware never did (0 in 25). In those processes
every scavenge took about 12 ms instead of 0.4 ms and the heap filled with promoted garbage until a
full GC, which restored full speed at once. The evidence points to V8's allocation-site
pretenuring: \`--trace-pretenuring-statistics\` shows allocation sites switched to "tenure" with
every one of their objects surviving, and with \`--no-allocation-site-pretenuring\` the state never
appeared (0 slow processes in 72, against 6 in 75 without the flag). The likely trigger is the first
miss: while its argon2id verification runs (about 25 ms) the warm-up's 100 pipelined requests stay
in flight, so their objects survive a scavenge, V8 starts allocating later requests' objects in the
old generation, and from there they keep each request's young objects alive. A lone first request
made the state rarer (1 slow process in 47 in the same test) but not impossible. A production
process could enter it after a burst of cold tokens (after a deploy, say) and leave it at its next
full GC; how long that takes in a long-running process was not measured here.

A second look on 2026-12-01 (by hand, \`--trace-gc\`, Koa, 16 rounds each) found the state still
appearing after the lone first request, and always right after the process's first mark-compact
under load: about 0.6 s into the warm-up, the garbage of the server's start-up (it imports every
framework and driver) is collected while 100 pipelined requests are in flight. Unlike in the first
look, the full GCs that followed did not end it. The bare Koa route never entered it (0 of 32
processes). Keyward servers did in 5 of 16 while the adapter built an object and a closure for every
request, and in 1 of 16 after that allocation was removed; but each of the two full runs made that
day afterwards still had 2 to 4 of its 21 Koa Keyward servers in the state, so that change is not
shown to help. What in a Keyward process makes the difference is not known. Since then each server
imports only its own framework, guard and driver, as an application would, so its start-up leaves
far less garbage; whether that makes the state rarer was not measured.

How much the lone first request matters was measured by hand on 2026-12-02 in Express, side by side
(8 pairs each) against a floor server that loads the same Postgres drivers: Keyward on Postgres ran at
97.7% of it with the lone first request, and at 88.7% and 89.1% (two series) when the token's first
miss came with the warm-up's load. So a process that meets its first tokens under load, after a
deploy say, can run about 9% slower, for at least the 3 s measured after the 1 s warm-up.

## Abuse scenarios

\`\`\`
${abuse.join('\n')}
\`\`\`
`
  return { table, verdicts, svg, markdown }
}
