/** The report's rows, pure: each variant's runs summed up, its ratios and, for a cache hit, its verdict. */
import { median, type Round, roundRatios, type Sample } from './ratios.js'
import { type Partner, sideBySideWith, type Variant, variantIn } from './variants.js'
import { hitVerdict, observedVerdict, type Verdict } from './verdict.js'

export type Row = Variant & {
  reqs: number
  p50: number
  p99: number
  /** Server CPU time per request in µs, median of the runs where /proc told it. */
  cpuPerRequest: number | null
  /** Keyward servers: requests answered per argon2id verification, median of the rounds. */
  requestsPerVerification: number
  /** Side by side with the floor, the reference or the plain hit (see sideBySideWith): its kept ratios, if paired. */
  pairedWith: Partner | null
  pairedRatios: number[] | null
  /** The solo runs' ratio to the framework's reference, one per round kept. */
  soloRatios: number[]
  /** A cache hit's verdict (side by side with the floor), or an observed hit's (with the plain hit). */
  verdict: Verdict | null
}

/** A reference's row sums up all its runs; any other row, its one run a round. */
function samplesOf(rounds: readonly Round[], id: string): Sample[] {
  return rounds.flatMap((round) => {
    const sample = round.samples.get(id)
    return round.referenceRuns.get(id) ?? (sample === undefined ? [] : [sample])
  })
}

function verdictOfRow(variant: Variant, pairedRatios: readonly number[]): Verdict | null {
  if (variant.role === 'keyward-hit') return hitVerdict(pairedRatios)
  if (variant.role === 'keyward-observed') return observedVerdict(pairedRatios)
  return null
}

export function summarise(
  active: readonly Variant[],
  rounds: readonly Round[],
  pairedRatios: ReadonlyMap<string, number[]>,
): Row[] {
  return active.map((variant) => {
    const samples = samplesOf(rounds, variant.id)
    const cpu = samples.map((s) => s.cpuPerRequest).filter((c): c is number => c !== null)
    const reference = variantIn(active, variant.framework, 'reference')
    const soloRatios =
      reference === undefined
        ? []
        : reference === variant
          ? samples.map(() => 1)
          : roundRatios(rounds, variant.id, reference.id)
    const pairedWith = sideBySideWith(variant)
    const paired = pairedRatios.get(variant.id) ?? null
    return {
      ...variant,
      reqs: median(samples.map((s) => s.reqs)),
      p50: median(samples.map((s) => s.p50)),
      p99: median(samples.map((s) => s.p99)),
      cpuPerRequest: cpu.length > 0 ? median(cpu) : null,
      requestsPerVerification: median(
        samples.map((s) => s.requestsPerVerification).filter((n): n is number => n !== undefined),
      ),
      pairedWith: paired === null ? null : pairedWith,
      pairedRatios: paired,
      soloRatios,
      verdict: verdictOfRow(variant, paired ?? []),
    }
  })
}
