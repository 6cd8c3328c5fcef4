/**
 * Runs repeated until they measure the server. A run in which the server was on its core less than
 * BUSY_FLOOR of the time did not (the load generator fell behind, or the machine took the core
 * away): it is run again, up to `limit` times in all (BENCH_ATTEMPTS); a last attempt still short
 * is kept for the rows but left out of every ratio.
 */

export type Attempt<T> = { value: T; saturated: boolean; line: string }

function increment(map: Map<string, number>, name: string): void {
  map.set(name, (map.get(name) ?? 0) + 1)
}

export class Attempts {
  /** Runs repeated, and last attempts still short, by name. */
  readonly repeated = new Map<string, number>()
  readonly unsaturated = new Map<string, number>()

  constructor(readonly limit: number) {}

  async untilSaturated<T>(
    name: string,
    shortfall: string,
    attempt: () => Promise<Attempt<T>>,
  ): Promise<Attempt<T>> {
    for (let n = 1; ; n++) {
      const outcome = await attempt()
      const retry = !outcome.saturated && n < this.limit
      console.info(outcome.line + (outcome.saturated ? '' : `  (${shortfall}${retry ? ': run again' : ''})`))
      if (!retry) {
        if (!outcome.saturated) increment(this.unsaturated, name)
        return outcome
      }
      increment(this.repeated, name)
    }
  }
}
