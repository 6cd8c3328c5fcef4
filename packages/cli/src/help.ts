import { commandName } from './args.js'
import { type Command, GLOBAL_OPTIONS, type OptionSpec } from './command.js'
import { EXIT_CODE_HELP } from './exit-codes.js'

/** Every `--help` text, built from the command table: nothing here names a command. */

const startsWith = (path: readonly string[], prefix: readonly string[]) =>
  prefix.every((word, i) => path[i] === word)

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` <${spec.value}>` : ''}`
    const notes = [spec.required ? 'required' : null, spec.multiple ? 'repeatable' : null].filter(Boolean)
    return [flag, notes.length > 0 ? `${spec.help} (${notes.join(', ')})` : spec.help] as const
  })
  const width = Math.max(...rows.map(([flag]) => flag.length))
  return rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`)
}

/** A paragraph broken at spaces to lines of at most `width` characters. */
function wrap(text: string, width = 100): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  return [...lines, line]
}

function listing(commands: readonly Command[]): string[] {
  const names = commands.map((c) => c.path.join(' '))
  const width = Math.max(...names.map((n) => n.length))
  return commands.map((c, i) => `  ${(names[i] as string).padEnd(width)}  ${c.summary}`)
}

function usageLine(command: Command): string {
  const required = Object.entries(command.options)
    .filter(([, spec]) => spec.required)
    .map(([name, spec]) => `--${name} <${spec.value ?? 'value'}>`)
  const positionals = (command.positionals ?? []).map((p) => (p.optional ? `[<${p.name}>]` : `<${p.name}>`))
  return [commandName(command.path), ...positionals, ...required, '[options]'].join(' ')
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: ${usageLine(command)}`, '', command.summary]
  for (const paragraph of command.details ?? []) lines.push('', ...wrap(paragraph))
  if ((command.positionals ?? []).length > 0) {
    lines.push('', 'Arguments:')
    for (const p of command.positionals ?? []) lines.push(`  <${p.name}>  ${p.help}`)
  }
  if (Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options))
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS))
  if ((command.examples ?? []).length > 0) {
    lines.push('', 'Examples:')
    for (const example of command.examples ?? []) lines.push(`  ${example}`)
  }
  return lines.join('\n')
}

/** The root (`keyward --help`) or a group (`keyward tokens --help`): its commands, then how to go on. */
export function groupHelp(table: readonly Command[], path: readonly string[], version: string): string {
  const commands = table.filter((c) => startsWith(c.path, path))
  const name = commandName(path)
  const lines =
    path.length === 0
      ? [
          `keyward ${version}: manage Keyward tokens and sessions, and migrate and check the store, with the app's own configuration.`,
          '',
          'Usage: keyward <command> [options]',
        ]
      : [`Usage: ${name} <command> [options]`]
  lines.push('', 'Commands:', ...listing(commands))
  const globals =
    path.length === 0
      ? { ...GLOBAL_OPTIONS, version: { type: 'boolean', help: 'print the version' } as const }
      : GLOBAL_OPTIONS
  lines.push('', 'Global options:', ...optionLines(globals))
  if (path.length === 0) {
    lines.push(
      '',
      'Configuration: --config <file>, else KEYWARD_CONFIG, else keyward.config.{ts,mts,js,mjs} in this',
      "directory: a module exporting the app's Keyward instance (as default or `keyward`), TypeScript",
      'loaded as is. Without one, the environment: KEYWARD_DATABASE_URL and KEYWARD_REDIS_URL (the store',
      'is not migrated when opened: run `keyward migrate`).',
      '',
      'Results go to stdout (a new token alone on its line, so TOKEN=$(keyward tokens create …) works);',
      'messages go to stderr.',
      '',
      'Exit codes:',
      ...EXIT_CODE_HELP.map((line) => `  ${line}`),
    )
  }
  lines.push(
    '',
    `Run \`${name === 'keyward' ? 'keyward <command>' : `${name} <command>`} --help\` for its options.`,
  )
  return lines.join('\n')
}
