/** The report's verdict lines and the table, from the rows and the solo rounds. */
import { percentOrNa } from './format.js'
import { median, type Round, roundRatios } from './ratios.js'
import type { Row } from './rows.js'
import type { Settings } from './settings.js'
import { partnerOf, runsSolo } from './variants.js'
import {
  BEARER_AUTH_TARGET,
  BETTER_AUTH_TARGET,
  HIT_TARGET,
  OBSERVED_TARGET,
  verdictOf,
  verdictWord,
} from './verdict.js'

/** The rows of the variants that run solo: an observed hit runs side by side only, and has its verdict line. */
export function renderTable(rows: readonly Row[]): string {
  const header =
    '| framework | server | req/s | p50 ms | p99 ms | server CPU µs/req | vs floor, side by side | vs reference, side by side | vs reference, solo runs |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
  const sideBySide = (row: Row, partner: 'floor' | 'reference') =>
    row.pairedWith === partner ? percentOrNa(median(row.pairedRatios ?? []), 1) : ''
  const lines = rows
    .filter(runsSolo)
    .map(
      (r) =>
        `| ${r.framework} | ${r.label} | ${Number.isFinite(r.reqs) ? r.reqs.toFixed(0) : 'n/a'} | ${r.p50} | ${r.p99} | ${r.cpuPerRequest?.toFixed(1) ?? 'n/a'} | ${sideBySide(r, 'floor')} | ${sideBySide(r, 'reference')} | ${percentOrNa(median(r.soloRatios), 0)} |`,
    )
  return [header, ...lines].join('\n')
}

function hitLine(row: Row, rows: readonly Row[], settings: Settings): string | null {
  const { verdict } = row
  if (verdict === null || row.role !== 'keyward-hit') return null
  const floor = rows.find((r) => r.framework === row.framework && r.role === 'floor')
  const floorNote =
    floor?.pairedWith === 'reference'
      ? `; the floor is at ${percentOrNa(median(floor.pairedRatios ?? []), 1)} of the reference side by side`
      : ''
  return `${row.framework}, ${row.label}: ${percentOrNa(verdict.value, 1)} of the SHA-256 + LRU floor, median of ${verdict.kept} of ${settings.pairedRounds} side-by-side rounds (solo runs: ${percentOrNa(median(row.soloRatios), 1)} of the reference, ${row.soloRatios.length} of ${settings.soloRounds} rounds kept${floorNote}) (target ≥ ${HIT_TARGET * 100}% of the floor): ${verdictWord(verdict)}`
}

/** An observed cache hit (events, audit, metrics) against the same hit without them, side by side. */
function observedLine(row: Row, rows: readonly Row[], settings: Settings): string | null {
  const { verdict } = row
  if (verdict === null || row.role !== 'keyward-observed') return null
  const plain = partnerOf(rows, row)
  return `${row.framework}, ${row.label}: ${percentOrNa(verdict.value, 1)} of the same server without them ("${plain?.label ?? 'n/a'}"), median of ${verdict.kept} of ${settings.pairedRounds} side-by-side rounds (target ≥ ${OBSERVED_TARGET * 100}% of the plain hit): ${verdictWord(verdict)}`
}

/** Keyward's cache hit on SQLite against Hono's peers, plain ratios of the solo runs of each round. */
function peerLines(rows: readonly Row[], rounds: readonly Round[], settings: Settings): string[] {
  const has = (id: string) => rows.some((r) => r.id === id)
  const kept = (ratios: number[]) => `${ratios.length} of ${settings.soloRounds} rounds`
  const lines: string[] = []
  if (has('hono-keyward-sqlite') && has('hono-bearerauth')) {
    const ratios = roundRatios(rounds, 'hono-keyward-sqlite', 'hono-bearerauth')
    const verdict = verdictOf(ratios, BEARER_AUTH_TARGET)
    lines.push(
      `Keyward hit vs Hono bearerAuth: ${percentOrNa(verdict.value, 0)}, median of ${kept(ratios)} (target ≥ ${BEARER_AUTH_TARGET * 100}%): ${verdictWord(verdict)}`,
    )
  }
  if (has('hono-keyward-sqlite') && has('hono-better-auth')) {
    const ratios = roundRatios(rounds, 'hono-keyward-sqlite', 'hono-better-auth')
    const verdict = verdictOf(ratios, BETTER_AUTH_TARGET)
    lines.push(
      `Keyward hit vs better-auth api-key: ${Number.isFinite(verdict.value) ? `${verdict.value.toFixed(1)}x` : 'n/a'}, median of ${kept(ratios)} (target ≥ ${BETTER_AUTH_TARGET}x): ${verdictWord(verdict)}`,
    )
  }
  return lines
}

export function renderVerdicts(rows: readonly Row[], rounds: readonly Round[], settings: Settings): string[] {
  const lines = (line: (row: Row, rows: readonly Row[], settings: Settings) => string | null) =>
    rows.map((row) => line(row, rows, settings)).filter((text): text is string => text !== null)
  return [...lines(hitLine), ...lines(observedLine), ...peerLines(rows, rounds, settings)]
}

/** Information: Hono's bare route (its single-handler fast path) against the trivial middleware and Keyward. */
export function honoBareNote(rows: readonly Row[], rounds: readonly Round[], settings: Settings): string {
  const has = (id: string) => rows.some((r) => r.id === id)
  if (!has('hono-bare') || !has('hono-trivial') || !has('hono-keyward-sqlite')) return ''
  const trivial = roundRatios(rounds, 'hono-trivial', 'hono-bare')
  const keyward = roundRatios(rounds, 'hono-keyward-sqlite', 'hono-bare')
  return `\nAgainst Hono's bare route (its single-handler fast path, which any middleware leaves), the trivial middleware is at ${percentOrNa(median(trivial), 0)} and Keyward's cache hit (SQLite) at ${percentOrNa(median(keyward), 0)} (medians of ${trivial.length} of ${settings.soloRounds} rounds and ${keyward.length} of ${settings.soloRounds} rounds).\n`
}
