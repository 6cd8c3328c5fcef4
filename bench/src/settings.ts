/** The knobs of `npm run bench`, read once from the environment (listed in bench/README.md). */

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got "${raw}"`)
  return value
}

function listFrom(name: string, separator: string): string[] {
  return (process.env[name] ?? '').split(separator).filter((entry) => entry !== '')
}

export type Settings = {
  /** Solo runs: seconds measured, rounds, and seconds of warm-up load before each. */
  soloSeconds: number
  soloRounds: number
  soloWarmUpSeconds: number
  /** Side-by-side runs: seconds measured and of warm-up load before each (both servers loaded). */
  pairedSeconds: number
  warmUpSeconds: number
  /** Rounds of the verdict's pairs (Keyward beside the floor), and of the pairs shown as information. */
  pairedRounds: number
  informationPairedRounds: number
  /** How many times in all a run is tried while it does not keep its server busy (see attempts.ts). */
  attempts: number
  /** Variant ids or framework names to run; empty runs them all. */
  only: string[]
  /** Extra Node flags for every server process, to look inside one (BENCH_NODE_FLAGS="--cpu-prof"). */
  serverFlags: string[]
  /** Skips the abuse scenarios (they take a minute or two). */
  skipAbuse: boolean
  /** A directory for benchmarks.md and benchmarks.svg; unset, a full run writes docs/. */
  out: string | null
  pgUrl: string
  redisUrl: string
}

export function readSettings(): Settings {
  return {
    soloSeconds: numberFrom('BENCH_SECONDS', 2),
    soloRounds: numberFrom('BENCH_ROUNDS', 3),
    soloWarmUpSeconds: numberFrom('BENCH_SOLO_WARMUP_SECONDS', 2),
    pairedSeconds: numberFrom('BENCH_PAIRED_SECONDS', 3),
    warmUpSeconds: numberFrom('BENCH_WARMUP_SECONDS', 8),
    pairedRounds: numberFrom('BENCH_PAIRED_ROUNDS', 8),
    informationPairedRounds: numberFrom('BENCH_INFO_PAIRED_ROUNDS', 4),
    attempts: Math.max(1, Math.floor(numberFrom('BENCH_ATTEMPTS', 3))),
    only: listFrom('BENCH_ONLY', ','),
    serverFlags: listFrom('BENCH_NODE_FLAGS', ' '),
    skipAbuse: process.env.BENCH_SKIP_ABUSE === '1',
    out: process.env.BENCH_OUT || null,
    pgUrl: process.env.KEYWARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: process.env.KEYWARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  }
}

/** Whether this run may replace the published docs/benchmarks.md: every variant, uninstrumented. */
export function isFullRun(settings: Settings): boolean {
  return settings.only.length === 0 && settings.serverFlags.length === 0 && !settings.skipAbuse
}
