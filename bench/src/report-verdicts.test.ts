import { describe, expect, it } from 'vitest'
import { renderTable, renderVerdicts } from './report-verdicts.js'
import { summarise } from './rows.js'
import type { Settings } from './settings.js'
import { VARIANTS } from './variants.js'

const hono = VARIANTS.filter((v) =>
  ['hono-trivial', 'hono-sha256-lru', 'hono-keyward-sqlite', 'hono-keyward-observed'].includes(v.id),
)
const settings = { pairedRounds: 4, soloRounds: 0 } as Settings

function rowsWith(observedRatios: number[]) {
  return summarise(
    hono,
    [],
    new Map([
      ['hono-keyward-sqlite', [0.99, 0.99]],
      ['hono-keyward-observed', observedRatios],
    ]),
  )
}

describe('the observed hit in the report', () => {
  it('has a verdict line of its own, against the same server without events, audit and metrics', () => {
    const lines = renderVerdicts(rowsWith([0.99, 1.01, 0.985]), [], settings)
    const observed = lines.filter((line) => line.includes('observed'))
    expect(observed).toEqual([
      'hono, Keyward observed (events + audit + metrics), cache hit (SQLite): 99.0% of the same server without them ("Keyward, cache hit (SQLite)"), median of 3 of 4 side-by-side rounds (target ≥ 98% of the plain hit): met',
    ])
    expect(lines.filter((line) => line.includes('of the SHA-256 + LRU floor'))).toHaveLength(1)
  })

  it('says NOT met below 98% and "not measured" without a counted round', () => {
    expect(renderVerdicts(rowsWith([0.97, 0.974]), [], settings).at(-1)).toMatch(/97\.2% .*: NOT met$/)
    expect(renderVerdicts(rowsWith([]), [], settings).at(-1)).toMatch(/median of 0 of 4 .*: not measured/)
  })

  it('leaves the observed hit out of the table, which holds the solo runs', () => {
    const table = renderTable(rowsWith([0.99]))
    expect(table).toContain('Keyward, cache hit (SQLite)')
    expect(table).not.toContain('observed')
  })
})
