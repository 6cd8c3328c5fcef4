/**
 * The ratio math behind the verdicts, pure: medians, a reference interpolated between its runs with
 * drift exclusion, the solo ratios of a variant round by round, and the judgement of one paired run.
 */

/** A round whose two runs of a reference differ by more than this share is left out of the ratios. */
export const DRIFT_LIMIT = 0.1
/** A run whose server was on its core less than this share of the time did not measure the server. */
export const BUSY_FLOOR = 0.9
/** Side by side, each server's share of the two servers' CPU time must be this close to half. */
export const FAIR_SHARE_TOLERANCE = 0.05

export type Sample = {
  /** When the measured run started (ms since the epoch), to place it between two reference runs. */
  at: number
  reqs: number
  p50: number
  p99: number
  /** Server CPU time per request in µs (user + system), where /proc tells it. */
  cpuPerRequest: number | null
  /** Keyward servers: requests answered per argon2id verification. */
  requestsPerVerification?: number
  /** False when the server was on its core less than BUSY_FLOOR of the run even on its last attempt. */
  saturated: boolean
}

/** One solo round: one sample per variant (a reference's first run), and every run of each reference. */
export type Round = {
  samples: ReadonlyMap<string, Sample>
  referenceRuns: ReadonlyMap<string, readonly Sample[]>
}

/** The median, leaving out NaN (a value not measured); NaN when nothing is left. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/**
 * The reference's req/s at time `at` of a round: interpolated between its runs just before and
 * after, so that a drift of the machine cancels out; NaN when those two runs differ by more than
 * `driftLimit` (a machine that changed speed that much in a few seconds may have changed it anywhere
 * in between) or either was not saturated. A reference run only once in the round is taken as is.
 */
export function referenceAt(round: Round, reference: string, at: number, driftLimit = DRIFT_LIMIT): number {
  const reqsOf = (run: Sample | undefined) => (run?.saturated ? run.reqs : Number.NaN)
  const runs = round.referenceRuns.get(reference)
  if (runs === undefined) return reqsOf(round.samples.get(reference))
  const before = runs.findLast((run) => run.at <= at)
  const after = runs.find((run) => run.at > at)
  if (before === undefined || after === undefined) return reqsOf(before ?? after)
  if (!before.saturated || !after.saturated) return Number.NaN
  if (Math.abs(after.reqs - before.reqs) > driftLimit * Math.min(after.reqs, before.reqs)) return Number.NaN
  return before.reqs + ((after.reqs - before.reqs) * (at - before.at)) / (after.at - before.at)
}

/**
 * A variant's solo ratio to another, one per round where both were measured: against a framework's
 * reference through referenceAt, against any other variant (bearerAuth, better-auth, Hono's bare
 * route) a plain ratio of the two runs of the round. Rounds that tell nothing are left out.
 */
export function roundRatios(
  rounds: readonly Round[],
  variant: string,
  reference: string,
  driftLimit = DRIFT_LIMIT,
): number[] {
  return rounds
    .map((round) => {
      const sample = round.samples.get(variant)
      return sample?.saturated
        ? sample.reqs / referenceAt(round, reference, sample.at, driftLimit)
        : Number.NaN
    })
    .filter((ratio) => Number.isFinite(ratio))
}

/** What one side-by-side run measured: each server's req/s and CPU ms, and the loads' time spans. */
export type PairMeasurement = {
  reqs: { reference: number; variant: number }
  /** CPU time each server used over the measured loads, in ms; null where /proc does not tell it. */
  cpuMs: { reference: number | null; variant: number | null }
  loads: ReadonlyArray<{ startedAt: number; durationMs: number }>
}

export type PairJudgement = {
  /** The variant's req/s over its partner's. */
  ratio: number
  /** The two servers' CPU time over the span from the first load's start to the last one's end. */
  busy: number | null
  /** The partner's share of the two servers' CPU time. */
  referenceShare: number | null
  /** Busy enough and shared fairly: a pair that is not counts in no median. */
  counts: boolean
}

/**
 * One side-by-side run judged. A load that started late leaves the other server alone on the core
 * meanwhile, so the span runs from the first start to the last end; a server that got much more
 * than half the core had a neighbour whose autocannon fell behind. Unpinned, the rule cannot apply.
 */
export function judgePair(measured: PairMeasurement, pinned: boolean): PairJudgement {
  const { reference, variant } = measured.cpuMs
  const ratio = measured.reqs.variant / measured.reqs.reference
  const span =
    Math.max(...measured.loads.map((load) => load.startedAt + load.durationMs)) -
    Math.min(...measured.loads.map((load) => load.startedAt))
  const known = reference !== null && variant !== null && span > 0
  const total = known ? reference + variant : Number.NaN
  const busy = known ? total / span : null
  const referenceShare = known && total > 0 ? reference / total : null
  const fair = referenceShare === null || Math.abs(referenceShare - 0.5) <= FAIR_SHARE_TOLERANCE
  const counts = Number.isFinite(ratio) && (!pinned || ((busy === null || busy >= BUSY_FLOOR) && fair))
  return { ratio, busy, referenceShare, counts }
}
