import { styleText } from 'node:util'
import { redactTokens } from './redact.js'

/** What the CLI reads and writes: the process's streams, or test doubles of them. */
export type OutStream = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number }
export type InStream = NodeJS.ReadableStream & { readonly isTTY?: boolean }

export type Io = {
  readonly stdout: OutStream
  readonly stderr: OutStream
  readonly stdin: InStream
  /** Where `KEYWARD_CONFIG` and `NO_COLOR` are read. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Where `keyward.config.*` is looked for. */
  readonly cwd: string
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  }
}

/** Colours only on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb. */
export function colorsOn(stream: OutStream, env: Io['env']): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb'
}

type Style = Parameters<typeof styleText>[0]

/**
 * How commands speak: the result on stdout (a table, JSON, or a new token alone), everything a
 * person reads on stderr, with every stderr line passed through `redactTokens`.
 */
export type Output = {
  /** A line of the result, on stdout. */
  out(text: string): void
  /** The result as JSON, on stdout (dates as ISO strings). */
  json(value: unknown): void
  /**
   * A result holding a new token, on stdout: resolves once written, rejects when stdout failed (a
   * full disk, a closed pipe), so that the caller can revoke a token nobody received.
   */
  secret(text: string): Promise<void>
  /**
   * Once the writes so far are done, the first of `out` or `json` that failed (a full disk, a
   * closed pipe), or null. A file reports a failure on a later tick, after the command may have
   * returned: this waits for it.
   */
  failedWrite(): Promise<NodeJS.ErrnoException | null>
  /** A message for the person at the terminal, on stderr; silent with --quiet. */
  info(text: string): void
  /** A warning or error, on stderr, even with --quiet. */
  warn(text: string): void
  /** `text` styled when stdout takes colours. */
  paintOut(style: Style, text: string): string
  /** `text` styled when stderr takes colours. */
  paintErr(style: Style, text: string): string
}

export function createOutput(io: Io, options: { quiet: boolean }): Output {
  const outColors = colorsOn(io.stdout, io.env)
  const errColors = colorsOn(io.stderr, io.env)
  const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`)
  // A stream reports a failed write to its callback, and to 'error' listeners only later.
  let failed: NodeJS.ErrnoException | null = null
  const written = (error?: Error | null) => {
    if (error) failed ??= error
  }
  return {
    out: (text) => void io.stdout.write(line(text), written),
    json: (value) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`, written),
    secret: (text) =>
      new Promise((resolve, reject) => {
        io.stdout.write(line(text), (error) => (error ? reject(error) : resolve()))
      }),
    failedWrite: () =>
      new Promise((resolve) => {
        // Written after every earlier write, its callback comes after theirs.
        io.stdout.write('', () => resolve(failed))
      }),
    info: (text) => {
      if (!options.quiet) io.stderr.write(line(redactTokens(text)))
    },
    warn: (text) => void io.stderr.write(line(redactTokens(text))),
    // The decision is ours (per stream, above): styleText is told not to check process.stdout again.
    paintOut: (style, text) => (outColors ? styleText(style, text, { validateStream: false }) : text),
    paintErr: (style, text) => (errColors ? styleText(style, text, { validateStream: false }) : text),
  }
}
