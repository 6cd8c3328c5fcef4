/** The verdicts' rules, pure: what "met" means for each measure the report judges. */
import { median } from './ratios.js'

/** The cache-hit target: Keyward's req/s over the SHA-256 + LRU floor's, side by side. */
export const HIT_TARGET = 0.98
/** An observed cache hit (events, audit, metrics on): its req/s over the plain hit's, side by side. */
export const OBSERVED_TARGET = 0.98
/** Solo runs, Hono: Keyward's cache hit over bearerAuth's, and over better-auth's api-key plugin. */
export const BEARER_AUTH_TARGET = 0.95
export const BETTER_AUTH_TARGET = 10

/** A median of kept measurements, and whether it reaches its target; met is null when nothing was kept. */
export type Verdict = { value: number; kept: number; target: number; met: boolean | null }

export function verdictOf(ratios: readonly number[], target: number): Verdict {
  const kept = ratios.filter((ratio) => Number.isFinite(ratio))
  const value = median(kept)
  return { value, kept: kept.length, target, met: kept.length === 0 ? null : value >= target }
}

/**
 * The cache-hit verdict of one framework × store: the median of the rounds in which Keyward and the
 * floor ran side by side and the pair counted (see judgePair), at least HIT_TARGET.
 */
export function hitVerdict(pairedRatios: readonly number[]): Verdict {
  return verdictOf(pairedRatios, HIT_TARGET)
}

/**
 * The verdict of an observed cache hit in one framework: the median of the counted rounds in which it
 * ran beside the same hit without events, audit and metrics, at least OBSERVED_TARGET.
 */
export function observedVerdict(pairedRatios: readonly number[]): Verdict {
  return verdictOf(pairedRatios, OBSERVED_TARGET)
}

export function verdictWord(verdict: Verdict): string {
  if (verdict.met === null) return 'not measured (a server did not run, or every round was disturbed)'
  return verdict.met ? 'met' : 'NOT met'
}
