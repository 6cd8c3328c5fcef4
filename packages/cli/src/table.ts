/**
 * A plain-text table: columns padded to their widest cell, two spaces apart. Hand-written: it is
 * a dozen lines, and the table libraries bring borders, wrapping and colour handling we do not
 * want in output that scripts may also read.
 */

export type Column<Row> = {
  readonly header: string
  cell(row: Row): string
  /** Longest the cell may be before it is cut (default 48). */
  readonly max?: number
  /** Styles the padded cell (colour); the width is measured before. */
  paint?(padded: string, row: Row): string
}

/** Longest a cell may be before it is cut with an ellipsis (names and descriptions are free text). */
const MAX_CELL = 48

/**
 * A cell safe to print: control characters (a newline, an escape sequence in a token's name) shown
 * as `?`, so that stored text cannot move the cursor or forge lines; long text cut.
 */
export function cleanCell(text: string, max = MAX_CELL): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean
}

export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => cleanCell(column.cell(row), column.max)))
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((row) => (row[i] as string).length)),
  )
  const last = columns.length - 1
  const pad = (text: string, i: number) => (i === last ? text : text.padEnd(widths[i] as number))
  const lines = [
    columns
      .map((column, i) => pad(column.header.toUpperCase(), i))
      .join('  ')
      .trimEnd(),
  ]
  rows.forEach((row, r) => {
    const line = columns.map((column, i) => {
      const padded = pad((cells[r] as string[])[i] as string, i)
      return column.paint ? column.paint(padded, row) : padded
    })
    lines.push(line.join('  ').trimEnd())
  })
  return lines.join('\n')
}

/** `label  value` lines, labels padded to the longest: a record shown on its own. */
export function formatPairs(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => label.length))
  return pairs.map(([label, value]) => `${label.padEnd(width)}  ${cleanCell(value, 200)}`).join('\n')
}
