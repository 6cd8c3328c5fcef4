import { describe, expect, it } from 'vitest'
import { asksForHelp, parseCommandLine, resolveCommand } from './args.js'
import { CliError } from './cli-error.js'
import type { Command } from './command.js'
import { COMMANDS } from './commands/index.js'

/** A whole token's shape (no valid checksum needed): what must never be echoed. */
const SENTINEL = `clitest_${'A'.repeat(22)}_${'Z'.repeat(49)}`

const command = (...path: string[]) => COMMANDS.find((c) => c.path.join(' ') === path.join(' ')) as Command

function usageFailure(run: () => unknown): CliError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(2)
    return error as CliError
  }
  throw new Error('expected a usage error')
}

describe('resolveCommand', () => {
  it('finds the command its words name, and passes the rest on', () => {
    const found = resolveCommand(COMMANDS, ['tokens', 'create', '--user', 'u1', '--name', 'n'])
    expect(found).toMatchObject({ kind: 'command', rest: ['--user', 'u1', '--name', 'n'] })
    expect(found.kind === 'command' && found.command.path).toEqual(['tokens', 'create'])
  })

  it('takes global options before the words', () => {
    const found = resolveCommand(COMMANDS, ['--config', 'app.ts', '-q', 'tokens', 'list', '--user', 'u'])
    expect(found.kind === 'command' && found.command.path).toEqual(['tokens', 'list'])
    expect(found.kind === 'command' && found.rest).toEqual(['--config', 'app.ts', '-q', '--user', 'u'])
  })

  it('leaves a positional after a command to the command', () => {
    const found = resolveCommand(COMMANDS, ['tokens', 'show', 'abc'])
    expect(found.kind === 'command' && found.rest).toEqual(['abc'])
  })

  it('names a group, the root, or the unknown word', () => {
    expect(resolveCommand(COMMANDS, ['tokens'])).toEqual({ kind: 'group', path: ['tokens'], rest: [] })
    expect(resolveCommand(COMMANDS, ['--help'])).toEqual({ kind: 'group', path: [], rest: ['--help'] })
    expect(resolveCommand(COMMANDS, ['tokens', 'crate'])).toEqual({
      kind: 'unknown',
      path: ['tokens'],
      word: 'crate',
    })
    expect(resolveCommand(COMMANDS, ['mirgate'])).toEqual({ kind: 'unknown', path: [], word: 'mirgate' })
  })
})

describe('parseCommandLine', () => {
  it('reads options, repeated ones and positionals', () => {
    const { args, globals } = parseCommandLine(command('tokens', 'create'), [
      '--user=u1',
      '--name',
      'deploy',
      '--scope',
      'a',
      '--scope',
      'b',
      '-c',
      'x.ts',
      '--quiet',
    ])
    expect(args.required('user')).toBe('u1')
    expect(args.list('scope')).toEqual(['a', 'b'])
    expect(args.flag('json')).toBe(false)
    expect(globals).toEqual({ config: 'x.ts', quiet: true, debug: false })
  })

  it('refuses an unknown option by name, and says which help to read', () => {
    const error = usageFailure(() => parseCommandLine(command('tokens', 'list'), ['--user', 'u', '--bogus']))
    expect(error.message).toBe('keyward tokens list: unknown option --bogus.')
    expect(error.hint).toBe('Run `keyward tokens list --help`.')
  })

  it('says how to give a value that starts with a dash, and names a short option as itself', () => {
    const purge = command('tokens', 'purge')
    expect(usageFailure(() => parseCommandLine(purge, ['--older-than', '-1d'])).message).toBe(
      'keyward tokens purge: --older-than needs a value; one that starts with "-" is written --older-than=-….',
    )
    expect(usageFailure(() => parseCommandLine(command('scopes'), ['-c'])).message).toBe(
      'keyward scopes: -c needs a value.',
    )
    expect(usageFailure(() => parseCommandLine(command('scopes'), ['-c', '-q'])).message).toBe(
      'keyward scopes: -c needs a value; one that starts with "-" is written --config=-….',
    )
    const revoke = parseCommandLine(command('tokens', 'revoke'), ['abc', '--reason=-- pasted'])
    expect(revoke.args.string('reason')).toBe('-- pasted')
  })

  it('refuses a missing value, a missing required option and a missing argument', () => {
    expect(usageFailure(() => parseCommandLine(command('tokens', 'list'), ['--user'])).message).toBe(
      'keyward tokens list: --user needs a value.',
    )
    expect(usageFailure(() => parseCommandLine(command('tokens', 'list'), [])).message).toBe(
      'keyward tokens list: --user <id> is required.',
    )
    expect(usageFailure(() => parseCommandLine(command('tokens', 'show'), [])).message).toBe(
      'keyward tokens show: <id> is missing.',
    )
    expect(usageFailure(() => parseCommandLine(command('scopes'), ['--json=yes'])).message).toBe(
      'keyward scopes: --json takes no value.',
    )
  })

  it('refuses an argument too many, and never echoes one shaped like a token', () => {
    expect(usageFailure(() => parseCommandLine(command('tokens', 'show'), ['a', 'b'])).message).toBe(
      'keyward tokens show: unexpected argument "b".',
    )
    const error = usageFailure(() =>
      parseCommandLine(command('tokens', 'revoke-all'), ['--user', 'u', SENTINEL]),
    )
    expect(error.message).toContain('an argument is a whole token')
    expect(error.message).not.toContain(SENTINEL)
    const unknown = usageFailure(() => parseCommandLine(command('scopes'), [`--token=${SENTINEL}`]))
    expect(unknown.message).not.toContain(SENTINEL)
  })

  it('refuses an option value that holds a token, naming the option and not the token', () => {
    for (const [path, argv, option] of [
      [['tokens', 'revoke'], ['abc', '--reason', `leaked: ${SENTINEL} in a CI log`], '--reason'],
      [['tokens', 'create'], ['--user', 'u', `--name=${SENTINEL}`], '--name'],
      [['tokens', 'create'], ['--user', SENTINEL, '--name', 'n'], '--user'],
      [['tokens', 'create'], ['--user', 'u', '--name', 'n', '--scope', 'a', '--scope', SENTINEL], '--scope'],
    ] as const) {
      const error = usageFailure(() => parseCommandLine(command(...path), [...argv]))
      expect(error.message).toContain(`${option} holds a token`)
      expect(error.message).not.toContain(SENTINEL)
    }
  })

  it('tells check that a token is read from stdin, whatever the argument', () => {
    const error = usageFailure(() => parseCommandLine(command('check'), [SENTINEL]))
    expect(error.message).toContain('read from stdin, never from the arguments')
    expect(error.message).not.toContain(SENTINEL)
  })
})

describe('asksForHelp', () => {
  it('sees --help or -h before a `--`', () => {
    expect(asksForHelp(['--user', 'u', '--help'])).toBe(true)
    expect(asksForHelp(['-h'])).toBe(true)
    expect(asksForHelp(['--', '--help'])).toBe(false)
    expect(asksForHelp(['--user', 'u'])).toBe(false)
  })
})
