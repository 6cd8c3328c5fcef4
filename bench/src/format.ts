/** Numbers as the logs and the report show them. */

export function percentOrNa(ratio: number | undefined, digits: number): string {
  return ratio === undefined || !Number.isFinite(ratio) ? 'n/a' : `${(ratio * 100).toFixed(digits)}%`
}

export function counts(map: ReadonlyMap<string, number>): string {
  return map.size === 0 ? 'none' : [...map].map(([name, count]) => `${name} ${count}`).join(', ')
}
