/** The report's chart: one bar of req/s per row, grey for the bare and trivial routes, blue for Keyward. */
import type { Row } from './rows.js'
import { runsSolo } from './variants.js'

const BAR_HEIGHT = 22
const WIDTH = 900
const LABEL_WIDTH = 380

function colourOf(row: Row): string {
  if (row.guard.kind === 'keyward') return '#2f6fdf'
  if (row.guard.kind === 'none' || row.guard.kind === 'trivial') return '#9aa5b1'
  return '#e07b39'
}

function escaped(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
}

/** The rows of the variants that run solo: the bars are their solo req/s. */
export function renderSvg(allRows: readonly Row[]): string {
  const rows = allRows.filter(runsSolo)
  const max = Math.max(...rows.map((r) => r.reqs).filter((reqs) => Number.isFinite(reqs)), 1)
  const bars = rows
    .map((r, i) => {
      const y = 40 + i * (BAR_HEIGHT + 8)
      const reqs = Number.isFinite(r.reqs) ? r.reqs : 0
      const w = Math.max(1, ((WIDTH - LABEL_WIDTH - 90) * reqs) / max)
      return `<text x="${LABEL_WIDTH - 10}" y="${y + 16}" text-anchor="end" font-size="13">${r.framework}: ${escaped(r.label)}</text><rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${colourOf(r)}"/><text x="${(LABEL_WIDTH + w + 6).toFixed(1)}" y="${y + 16}" font-size="13">${(reqs / 1000).toFixed(1)}k</text>`
    })
    .join('\n  ')
  const height = 60 + rows.length * (BAR_HEIGHT + 8)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" role="img" aria-labelledby="title">
  <title id="title">Keyward benchmark: requests per second of each server</title>
  <text x="10" y="22" font-size="16" font-weight="bold">Requests per second (higher is better): grey = reference, blue = Keyward, orange = peers</text>
  ${bars}
</svg>
`
}
