import { describe, expect, it } from 'vitest'
import { judgePair, median, type Round, referenceAt, roundRatios, type Sample } from './ratios.js'

function sample(at: number, reqs: number, saturated = true): Sample {
  return { at, reqs, p50: 1, p99: 2, cpuPerRequest: null, saturated }
}

function round(samples: Record<string, Sample>, referenceRuns: Record<string, Sample[]> = {}): Round {
  return { samples: new Map(Object.entries(samples)), referenceRuns: new Map(Object.entries(referenceRuns)) }
}

describe('median', () => {
  it('takes the middle of an odd count and the mean of the two middles of an even count', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([0.97])).toBe(0.97)
  })

  it('is NaN for nothing, and leaves NaN values out', () => {
    expect(median([])).toBeNaN()
    expect(median([Number.NaN, Number.NaN])).toBeNaN()
    expect(median([Number.NaN, 5, 1, Number.NaN, 3])).toBe(3)
  })

  it('does not reorder its argument', () => {
    const values = [3, 1, 2]
    median(values)
    expect(values).toEqual([3, 1, 2])
  })
})

describe('referenceAt', () => {
  const runs = [sample(0, 1000), sample(10, 1040), sample(20, 1000)]

  it('interpolates the reference between its runs before and after', () => {
    expect(referenceAt(round({}, { ref: runs }), 'ref', 5)).toBeCloseTo(1020)
    expect(referenceAt(round({}, { ref: runs }), 'ref', 15)).toBeCloseTo(1020)
  })

  it('is NaN when the two runs around the variant drifted by more than the limit', () => {
    const drifting = [sample(0, 1000), sample(10, 1200)]
    expect(referenceAt(round({}, { ref: drifting }), 'ref', 5)).toBeNaN()
    expect(referenceAt(round({}, { ref: drifting }), 'ref', 5, 0.25)).toBeCloseTo(1100)
  })

  it('counts a drift of exactly the limit as no drift', () => {
    expect(
      referenceAt(round({}, { ref: [sample(0, 1000), sample(10, 1100)] }), 'ref', 10 - 1e-9),
    ).toBeCloseTo(1100)
  })

  it('is NaN when a neighbouring run was not saturated', () => {
    const short = [sample(0, 1000), sample(10, 1000, false)]
    expect(referenceAt(round({}, { ref: short }), 'ref', 5)).toBeNaN()
  })

  it('takes the one run on a side when there is no run on the other', () => {
    expect(referenceAt(round({}, { ref: runs }), 'ref', 25)).toBe(1000)
    expect(referenceAt(round({}, { ref: [sample(10, 900)] }), 'ref', 5)).toBe(900)
  })

  it('falls back to the round sample of a variant that is no reference, and NaN when there is none', () => {
    expect(referenceAt(round({ other: sample(0, 700) }), 'other', 5)).toBe(700)
    expect(referenceAt(round({ other: sample(0, 700, false) }), 'other', 5)).toBeNaN()
    expect(referenceAt(round({}), 'missing', 5)).toBeNaN()
  })
})

describe('roundRatios', () => {
  it('leaves out a round whose reference drifted, keeps the others', () => {
    const rounds = [
      round({ v: sample(5, 950) }, { ref: [sample(0, 1000), sample(10, 1000)] }),
      round({ v: sample(5, 800) }, { ref: [sample(0, 1000), sample(10, 1500)] }),
      round({ v: sample(5, 990) }, { ref: [sample(0, 980), sample(10, 1000)] }),
    ]
    const ratios = roundRatios(rounds, 'v', 'ref')
    expect(ratios).toHaveLength(2)
    expect(ratios[0]).toBeCloseTo(0.95)
    expect(ratios[1]).toBeCloseTo(1)
  })

  it('leaves out rounds where the variant was not saturated or did not run', () => {
    const reference = { ref: [sample(0, 1000), sample(10, 1000)] }
    const rounds = [round({ v: sample(5, 900, false) }, reference), round({}, reference)]
    expect(roundRatios(rounds, 'v', 'ref')).toEqual([])
    expect(median(roundRatios(rounds, 'v', 'ref'))).toBeNaN()
  })

  it('divides plainly by another variant of the round', () => {
    const rounds = [round({ v: sample(5, 3000), peer: sample(1, 1000) })]
    expect(roundRatios(rounds, 'v', 'peer')).toEqual([3])
  })
})

describe('judgePair', () => {
  const loads = [
    { startedAt: 0, durationMs: 3000 },
    { startedAt: 100, durationMs: 3000 },
  ]

  it('gives the ratio of the two req/s and counts a busy, fairly shared core', () => {
    const judged = judgePair(
      { reqs: { reference: 1000, variant: 980 }, cpuMs: { reference: 1500, variant: 1500 }, loads },
      true,
    )
    expect(judged.ratio).toBeCloseTo(0.98)
    expect(judged.busy).toBeCloseTo(3000 / 3100)
    expect(judged.referenceShare).toBeCloseTo(0.5)
    expect(judged.counts).toBe(true)
  })

  it('does not count a core kept busy less than the floor, or shared unfairly', () => {
    const idle = { reqs: { reference: 1000, variant: 990 }, cpuMs: { reference: 1000, variant: 1000 }, loads }
    expect(judgePair(idle, true).counts).toBe(false)
    const unfair = {
      reqs: { reference: 1000, variant: 990 },
      cpuMs: { reference: 1900, variant: 1100 },
      loads,
    }
    expect(judgePair(unfair, true).referenceShare).toBeCloseTo(1900 / 3000)
    expect(judgePair(unfair, true).counts).toBe(false)
  })

  it('counts every pair when unpinned or when /proc tells no CPU time, unless the ratio is not a number', () => {
    const unknown = {
      reqs: { reference: 1000, variant: 990 },
      cpuMs: { reference: null, variant: 10 },
      loads,
    }
    expect(judgePair(unknown, true)).toMatchObject({ busy: null, referenceShare: null, counts: true })
    const idle = { reqs: { reference: 1000, variant: 990 }, cpuMs: { reference: 1, variant: 1 }, loads }
    expect(judgePair(idle, false).counts).toBe(true)
    const nothing = { reqs: { reference: 0, variant: 0 }, cpuMs: { reference: null, variant: null }, loads }
    expect(judgePair(nothing, false).counts).toBe(false)
  })
})
