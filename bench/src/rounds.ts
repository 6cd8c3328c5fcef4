/**
 * The measuring schedule. Each round first runs the side-by-side pairs, then (for the first
 * soloRounds) every variant that runs solo (see runsSolo), each between two runs of its framework's
 * reference so that its solo ratio can be taken against that reference interpolated to when it ran
 * (see referenceAt).
 */
import { measure, type RunContext } from './measure.js'
import { measurePair } from './pair.js'
import type { Round, Sample } from './ratios.js'
import { FRAMEWORKS, partnerOf, runsSolo, sideBySideWith, type Variant, variantIn } from './variants.js'

export type Measurements = {
  rounds: Round[]
  /** The counted side-by-side ratios of each variant to its partner (see sideBySideWith). */
  pairedRatios: Map<string, number[]>
}

/**
 * The pairs to run in `round`: the verdicts' (beside the floor, or an observed hit beside the plain
 * one) for pairedRounds, the others for informationPairedRounds.
 */
function pairsOf(active: readonly Variant[], context: RunContext, round: number): Array<[Variant, Variant]> {
  const { pairedRounds, informationPairedRounds } = context.settings
  return active.flatMap((variant): Array<[Variant, Variant]> => {
    const role = sideBySideWith(variant)
    if (role === null) return []
    if (round >= (role === 'reference' ? informationPairedRounds : pairedRounds)) return []
    const partner = partnerOf(active, variant)
    return partner === undefined ? [] : [[partner, variant]]
  })
}

async function soloRound(active: readonly Variant[], context: RunContext, round: number): Promise<Round> {
  const samples = new Map<string, Sample>()
  const referenceRuns = new Map<string, Sample[]>()
  const runReference = async (reference: Variant) => {
    const runs = referenceRuns.get(reference.id) ?? []
    referenceRuns.set(reference.id, runs)
    const name = runs.length === 0 ? reference.id : `${reference.id} (again)`
    runs.push(await measure(reference, context, round, name))
    if (!samples.has(reference.id)) samples.set(reference.id, runs[0] as Sample)
  }
  for (const framework of FRAMEWORKS) {
    const reference = variantIn(active, framework, 'reference')
    if (reference !== undefined) await runReference(reference)
    for (const variant of active.filter((v) => v.framework === framework && v !== reference && runsSolo(v))) {
      samples.set(variant.id, await measure(variant, context, round))
      if (reference !== undefined) await runReference(reference)
    }
  }
  return { samples, referenceRuns }
}

export async function measureAll(active: readonly Variant[], context: RunContext): Promise<Measurements> {
  const { soloRounds, pairedRounds, informationPairedRounds } = context.settings
  const rounds: Round[] = []
  const pairedRatios = new Map<string, number[]>()
  for (let round = 0; round < Math.max(soloRounds, pairedRounds, informationPairedRounds); round++) {
    for (const [partner, variant] of pairsOf(active, context, round)) {
      const ratio = await measurePair(partner, variant, context, round)
      const kept = pairedRatios.get(variant.id) ?? []
      pairedRatios.set(variant.id, ratio === null ? kept : [...kept, ratio])
    }
    if (round < soloRounds) rounds.push(await soloRound(active, context, round))
  }
  return { rounds, pairedRatios }
}
