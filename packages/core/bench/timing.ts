/** The timing helpers of the in-process benchmark: ns per call of a loop, and the median of rounds. */

export function nsPerOp(iterations: number, run: () => unknown): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) run()
  return Number(process.hrtime.bigint() - start) / iterations
}

export async function nsPerAsyncOp(iterations: number, run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) await run()
  return Number(process.hrtime.bigint() - start) / iterations
}

/** The middle value (the upper one of an even count); sorts a copy. */
export const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
