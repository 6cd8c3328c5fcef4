import { describe, expect, it } from 'vitest'
import type { Round, Sample } from './ratios.js'
import { summarise } from './rows.js'
import { VARIANTS } from './variants.js'

const koa = VARIANTS.filter((v) => ['koa-bare', 'koa-sha256-lru', 'koa-keyward-sqlite'].includes(v.id))

function sample(at: number, reqs: number): Sample {
  return { at, reqs, p50: 1, p99: 3, cpuPerRequest: 20, saturated: true }
}

function round(offset: number, bare: number[], floor: number, keyward: number): Round {
  const runs = bare.map((reqs, i) => sample(offset + i * 10, reqs))
  return {
    samples: new Map([
      ['koa-bare', runs[0] as Sample],
      ['koa-sha256-lru', sample(offset + 5, floor)],
      ['koa-keyward-sqlite', sample(offset + 15, keyward)],
    ]),
    referenceRuns: new Map([['koa-bare', runs]]),
  }
}

describe('summarise', () => {
  const rounds = [round(0, [1000, 1000, 1000], 930, 920), round(100, [1000, 1000, 1400], 940, 900)]
  const rows = summarise(
    koa,
    rounds,
    new Map([
      ['koa-sha256-lru', [0.93, 0.94]],
      ['koa-keyward-sqlite', [0.99, 0.975, 0.985]],
    ]),
  )
  const row = (id: string) => rows.find((r) => r.id === id)

  it('sums a reference up over all its runs and gives it a solo ratio of 100%', () => {
    expect(row('koa-bare')?.reqs).toBe(1000)
    expect(row('koa-bare')?.soloRatios.every((ratio) => ratio === 1)).toBe(true)
    expect(row('koa-bare')?.verdict).toBeNull()
  })

  it('leaves the round whose reference drifted out of a variant’s solo ratios', () => {
    expect(row('koa-sha256-lru')?.soloRatios).toEqual([0.93, 0.94])
    expect(row('koa-keyward-sqlite')?.soloRatios).toEqual([0.92])
  })

  it('judges a cache hit on its side-by-side ratios to the floor, the floor on nothing', () => {
    expect(row('koa-keyward-sqlite')?.pairedWith).toBe('floor')
    expect(row('koa-keyward-sqlite')?.verdict).toMatchObject({ value: 0.985, kept: 3, met: true })
    expect(row('koa-sha256-lru')?.pairedWith).toBe('reference')
    expect(row('koa-sha256-lru')?.verdict).toBeNull()
  })

  it('says "not measured" for a cache hit that was never paired', () => {
    const unpaired = summarise(koa, rounds, new Map())
    expect(unpaired.find((r) => r.id === 'koa-keyward-sqlite')?.verdict).toMatchObject({ kept: 0, met: null })
  })

  it('judges an observed hit on its side-by-side ratios to the plain hit, with no solo runs', () => {
    const withObserved = VARIANTS.filter((v) =>
      ['koa-bare', 'koa-sha256-lru', 'koa-keyward-sqlite', 'koa-keyward-observed'].includes(v.id),
    )
    const observed = summarise(
      withObserved,
      rounds,
      new Map([
        ['koa-keyward-sqlite', [0.99]],
        ['koa-keyward-observed', [1.004, 0.97, 0.995, 0.99]],
      ]),
    ).find((r) => r.id === 'koa-keyward-observed')
    expect(observed?.pairedWith).toBe('plain')
    expect(observed?.verdict).toMatchObject({
      value: expect.closeTo(0.9925),
      kept: 4,
      target: 0.98,
      met: true,
    })
    expect(observed?.soloRatios).toEqual([])
    expect(observed?.reqs).toBeNaN()
  })
})
