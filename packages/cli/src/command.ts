import type { Keyward } from '@keyward/core'
import type { Io, Output } from './io.js'

/**
 * A command of the `keyward` table: its words, its help and its options as data, and `run`. Each
 * command is a module of its own under commands/, listed once in commands/index.ts.
 */

export type OptionSpec = {
  readonly type: 'string' | 'boolean'
  /** May be given several times (`--scope a --scope b`). */
  readonly multiple?: boolean
  readonly short?: string
  /** The value's name in the help: `--user <id>`. */
  readonly value?: string
  /** The command refuses to run without it (a usage error). */
  readonly required?: boolean
  readonly help: string
}

export type PositionalSpec = {
  readonly name: string
  readonly help: string
  readonly optional?: boolean
}

export type Command = {
  /** The words that name it: `['tokens', 'create']`. */
  readonly path: readonly string[]
  /** One line, for the command listings. */
  readonly summary: string
  /** Paragraphs after the usage line in `--help`. */
  readonly details?: readonly string[]
  readonly positionals?: readonly PositionalSpec[]
  readonly options: Readonly<Record<string, OptionSpec>>
  readonly examples?: readonly string[]
  /**
   * The message when arguments are given beyond `positionals`; by default a generic one. `check`
   * uses it to say why a token is never read from the command line.
   */
  readonly extraArguments?: string
  /**
   * Meant for a database whose migrations may be pending (`migrate`, `doctor`): a store failure is
   * reported as it came. For every other command, one on a database not migrated says to run
   * `keyward migrate`.
   */
  readonly worksUnmigrated?: boolean
  run(context: CommandContext): Promise<number>
}

/** The parsed command line, with accessors that turn a missing or repeated value into a usage error. */
export type Args = {
  /** A string option, or undefined when absent. */
  string(name: string): string | undefined
  /** A string option the command cannot do without (declared `required`, or required here). */
  required(name: string): string
  flag(name: string): boolean
  /** Every value of a `multiple` option, in order. */
  list(name: string): string[]
  /** The positional at `index`, or undefined. */
  positional(index: number): string | undefined
}

export type CommandContext = {
  readonly io: Io
  readonly output: Output
  readonly args: Args
  /** `keyward <path>`: for messages and hints. */
  readonly name: string
  /**
   * The app's Keyward instance, loaded on first call from the configuration (see config.ts); the
   * command runner closes it when the command ends, whatever happened. Commands call it after
   * their own checks of the command line, so that a usage error opens no connection.
   */
  keyward(): Promise<Keyward>
  /** Whether --quiet was given (progress bars stay off). */
  readonly quiet: boolean
}

/** The options every command takes, besides its own. */
export const GLOBAL_OPTIONS = {
  config: {
    type: 'string',
    short: 'c',
    value: 'file',
    help: 'the module exporting the app’s Keyward instance (default: see `keyward --help`)',
  },
  quiet: { type: 'boolean', short: 'q', help: 'no messages on stderr but errors and warnings' },
  debug: { type: 'boolean', help: 'show the stack of an error' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const satisfies Record<string, OptionSpec>

/** The `--json` option, as commands with a machine-readable result declare it. */
export const JSON_OPTION = {
  type: 'boolean',
  help: 'print the result as JSON on stdout (dates as ISO 8601)',
} as const satisfies OptionSpec
