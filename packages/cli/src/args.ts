import { parseArgs } from 'node:util'
import { CliError } from './cli-error.js'
import { type Args, type Command, GLOBAL_OPTIONS, type OptionSpec } from './command.js'
import { EXIT } from './exit-codes.js'
import { containsToken, looksLikeToken, redactTokens } from './redact.js'

/**
 * The command line: which command (or group of commands) the words name, then that command's
 * options through `node:util`'s parseArgs, strictly: an unknown option, a missing value or an
 * argument too many is a usage error (exit 2) that names it and says which `--help` to run.
 */

export type Resolution =
  | { readonly kind: 'command'; readonly command: Command; readonly rest: readonly string[] }
  /** Words that name a group (`tokens`), or none (the root): `rest` holds the options. */
  | { readonly kind: 'group'; readonly path: readonly string[]; readonly rest: readonly string[] }
  | { readonly kind: 'unknown'; readonly path: readonly string[]; readonly word: string }

const startsWith = (path: readonly string[], prefix: readonly string[]) =>
  prefix.every((word, i) => path[i] === word)
const samePath = (a: readonly string[], b: readonly string[]) => a.length === b.length && startsWith(a, b)

/** Global options given before the command's words (`keyward --config app.ts tokens list`). */
function leadingGlobals(argv: readonly string[]): number {
  let i = 0
  while (i < argv.length) {
    const arg = argv[i] as string
    if (arg === '--config' || arg === '-c') i += 2
    else if (arg.startsWith('--config=') || ['--quiet', '-q', '--debug', '--help', '-h'].includes(arg)) i += 1
    else break
  }
  return Math.min(i, argv.length)
}

export function resolveCommand(table: readonly Command[], argv: readonly string[]): Resolution {
  const start = leadingGlobals(argv)
  let path: string[] = []
  let i = start
  for (; i < argv.length; i++) {
    const word = argv[i] as string
    if (word.startsWith('-')) break
    const extended = [...path, word]
    if (table.some((c) => startsWith(c.path, extended))) {
      path = extended
      continue
    }
    if (table.some((c) => samePath(c.path, path))) break
    return { kind: 'unknown', path, word }
  }
  const rest = [...argv.slice(0, start), ...argv.slice(i)]
  const command = table.find((c) => samePath(c.path, path))
  return command ? { kind: 'command', command, rest } : { kind: 'group', path, rest }
}

export function commandName(path: readonly string[]): string {
  return ['keyward', ...path].join(' ')
}

export function usageError(name: string, problem: string): CliError {
  return new CliError(EXIT.usage, `${name}: ${redactTokens(problem)}`, { hint: `Run \`${name} --help\`.` })
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options']

function parseArgsOptions(options: Readonly<Record<string, OptionSpec>>): ParseArgsOptions {
  return Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        ...(spec.multiple ? { multiple: true } : {}),
        ...(spec.short ? { short: spec.short } : {}),
      },
    ]),
  )
}

/**
 * parseArgs's error, said our way: which option (as typed: `-c` of `'-c, --config <value>'`), what
 * is wrong with it, and, for a value that starts with a dash (taken for an option: "ambiguous"),
 * how to give it.
 */
export function translateParseError(
  name: string,
  error: unknown,
  specs: Readonly<Record<string, OptionSpec>>,
): CliError {
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  const option = /'(-[^' ,]+)/.exec(message)?.[1]
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return usageError(name, `unknown option ${option}.`)
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    if (/argument missing/.test(message)) return usageError(name, `${option} needs a value.`)
    if (/ambiguous/.test(message)) {
      const longName = Object.entries(specs).find(([, spec]) => `-${spec.short}` === option)?.[0]
      const long = longName === undefined ? option : `--${longName}`
      return usageError(name, `${option} needs a value; one that starts with "-" is written ${long}=-….`)
    }
    return usageError(name, `${option} takes no value.`)
  }
  return usageError(name, message.split('\n')[0] ?? message)
}

/** Whether `--help` or `-h` comes before any `--`: help wins over every other mistake. */
export function asksForHelp(rest: readonly string[]): boolean {
  const end = rest.indexOf('--')
  return (end === -1 ? rest : rest.slice(0, end)).some((arg) => arg === '--help' || arg === '-h')
}

export type ParsedLine = {
  readonly args: Args
  readonly globals: { config?: string; quiet: boolean; debug: boolean }
}

export function parseCommandLine(command: Command, rest: readonly string[]): ParsedLine {
  const name = commandName(command.path)
  const specs: Readonly<Record<string, OptionSpec>> = { ...GLOBAL_OPTIONS, ...command.options }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...rest],
      options: parseArgsOptions(specs),
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw translateParseError(name, error, specs)
  }
  const { values, positionals } = parsed
  for (const [option, value] of Object.entries(values)) {
    const texts = Array.isArray(value) ? value : [value]
    if (texts.some((text) => typeof text === 'string' && containsToken(text))) {
      throw usageError(
        name,
        `--${option} holds a token. Tokens are never taken from the command line, where shell history and \`ps\` keep them, nor kept in a name, user, scope or reason: leave it out (a leaked token is revoked by piping it to \`keyward tokens revoke --stdin\`).`,
      )
    }
  }
  const declared = command.positionals ?? []
  if (positionals.length > declared.length) {
    const extra = positionals.slice(declared.length)
    if (command.extraArguments) throw usageError(name, command.extraArguments)
    if (extra.some(looksLikeToken)) {
      throw usageError(
        name,
        'an argument is a whole token. Tokens are never taken from the command line, where shell history and `ps` keep them; this command does not read one.',
      )
    }
    throw usageError(name, `unexpected argument ${JSON.stringify(extra[0])}.`)
  }
  declared.forEach((spec, i) => {
    if (!spec.optional && positionals[i] === undefined) throw usageError(name, `<${spec.name}> is missing.`)
  })
  for (const [option, spec] of Object.entries(command.options)) {
    if (spec.required && values[option] === undefined) {
      throw usageError(name, `--${option}${spec.value ? ` <${spec.value}>` : ''} is required.`)
    }
  }
  const text = (option: string): string | undefined => {
    const value = values[option]
    return typeof value === 'string' ? value : undefined
  }
  const args: Args = {
    string: text,
    required(option) {
      const value = text(option)
      if (value === undefined || value === '') throw usageError(name, `--${option} needs a value.`)
      return value
    },
    flag: (option) => values[option] === true,
    list: (option) => {
      const value = values[option]
      return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
    },
    positional: (index) => positionals[index],
  }
  const config = text('config')
  return {
    args,
    globals: {
      ...(config === undefined ? {} : { config }),
      quiet: args.flag('quiet'),
      debug: args.flag('debug'),
    },
  }
}
