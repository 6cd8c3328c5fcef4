import type { ExitCode } from './exit-codes.js'

/**
 * A failure the CLI itself detects (a usage or configuration mistake, a missing id), with the exit
 * code and the sentence that says what to do. It never leaves the process: `run()` prints it.
 * Failures of the core arrive as KeywardError and are translated in failures.ts.
 */
export class CliError extends Error {
  override readonly name = 'CliError'
  readonly exitCode: ExitCode
  /** What to do about it, printed after the message. */
  readonly hint: string | null

  constructor(exitCode: ExitCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.exitCode = exitCode
    this.hint = options.hint ?? null
  }
}

export function isCliError(value: unknown): value is CliError {
  return value instanceof CliError
}
