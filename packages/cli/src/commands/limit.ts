import { usageError } from '../args.js'
import type { Args } from '../command.js'

/** `--limit <n>`: a whole number of at least 1, or `fallback` (Infinity: every one) when absent. */
export function limitOption(args: Args, name: string, fallback: number): number {
  const text = args.string('limit')
  if (text === undefined) return fallback
  const limit = Number(text)
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw usageError(name, `--limit takes a whole number of at least 1; got ${JSON.stringify(text)}.`)
  }
  return limit
}
