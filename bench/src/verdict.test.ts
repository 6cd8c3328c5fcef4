import { describe, expect, it } from 'vitest'
import {
  HIT_TARGET,
  hitVerdict,
  OBSERVED_TARGET,
  observedVerdict,
  verdictOf,
  verdictWord,
} from './verdict.js'

describe('hitVerdict', () => {
  it('is met when the median of the paired rounds reaches 98%, whatever the mean', () => {
    const verdict = hitVerdict([0.9, 0.981, 0.99, 0.985, 1.01, 0.7])
    expect(verdict.value).toBeCloseTo(0.9875)
    expect(verdict).toMatchObject({ kept: 6, target: HIT_TARGET, met: true })
    expect(verdictWord(verdict)).toBe('met')
  })

  it('is not met just below the target, with an odd count', () => {
    const verdict = hitVerdict([0.99, 0.979, 0.97])
    expect(verdict.value).toBe(0.979)
    expect(verdict.met).toBe(false)
    expect(verdictWord(verdict)).toBe('NOT met')
  })

  it('takes an even count of paired rounds as the mean of the two middle ones', () => {
    expect(hitVerdict([0.97, 0.99]).value).toBeCloseTo(0.98)
    expect(hitVerdict([0.97, 0.99]).met).toBe(true)
  })

  it('says "not measured" when no round was kept, never met or not met', () => {
    for (const ratios of [[], [Number.NaN], [Number.POSITIVE_INFINITY]]) {
      const verdict = hitVerdict(ratios)
      expect(verdict).toMatchObject({ kept: 0, met: null })
      expect(verdictWord(verdict)).toMatch(/^not measured/)
    }
  })

  it('counts only the finite ratios as kept', () => {
    expect(hitVerdict([Number.NaN, 0.99, 1]).kept).toBe(2)
  })
})

describe('verdictOf', () => {
  it('judges any target, such as better-auth at ten times', () => {
    expect(verdictOf([44.7, 40, 50], 10).met).toBe(true)
    expect(verdictOf([9.9], 10).met).toBe(false)
  })
})

describe('observedVerdict', () => {
  it('is met when the median of the rounds beside the plain hit reaches 98%, and not just below', () => {
    expect(observedVerdict([1.01, 0.97, 0.98])).toMatchObject({
      value: 0.98,
      kept: 3,
      target: OBSERVED_TARGET,
      met: true,
    })
    expect(observedVerdict([1.01, 0.97, 0.979]).met).toBe(false)
    expect(observedVerdict([]).met).toBeNull()
  })
})
