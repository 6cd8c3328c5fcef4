import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Keyward } from '@keyward/core'
import {
  asksForHelp,
  commandName,
  parseCommandLine,
  resolveCommand,
  translateParseError,
  usageError,
} from './args.js'
import { actingAs, cliActor } from './cli-actor.js'
import { CliError } from './cli-error.js'
import { type Command, type CommandContext, GLOBAL_OPTIONS } from './command.js'
import { COMMANDS } from './commands/index.js'
import { loadConfiguration } from './config.js'
import { EXIT } from './exit-codes.js'
import { debugStack, describeFailure } from './failures.js'
import { commandHelp, groupHelp } from './help.js'
import { createOutput, type Io, type Output, processIo } from './io.js'
import { redactTokens } from './redact.js'
import { explainStoreFailure } from './unmigrated.js'

/** `keyward …`: resolve the command, parse its line, run it, close the instance, map failures to exit codes. */

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return manifest.version
}

function reportFailure(output: Output, error: unknown, debug: boolean): number {
  const failure = describeFailure(error)
  output.warn(`${output.paintErr('red', 'error')}: ${failure.message}`)
  if (failure.hint) output.warn(failure.hint)
  if (debug) {
    for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
      output.warn(output.paintErr('dim', debugStack(current.stack ?? current.message)))
      current = current.cause
    }
  }
  return failure.exitCode
}

/** A group (or the root) named without a command: its help, or --version, or a usage error. */
function runGroup(
  table: readonly Command[],
  path: readonly string[],
  rest: readonly string[],
  io: Io,
): number {
  const name = commandName(path)
  const version = packageVersion()
  const options =
    path.length === 0
      ? { ...GLOBAL_OPTIONS, version: { type: 'boolean', help: 'print the version' } as const }
      : GLOBAL_OPTIONS
  let values: Record<string, unknown>
  try {
    values = parseArgs({ args: [...rest], options, allowPositionals: false, strict: true }).values
  } catch (error) {
    throw translateParseError(name, error, options)
  }
  if (values.version === true) {
    io.stdout.write(`${version}\n`)
    return EXIT.ok
  }
  if (values.help === true) {
    io.stdout.write(`${groupHelp(table, path, version)}\n`)
    return EXIT.ok
  }
  io.stderr.write(`${groupHelp(table, path, version)}\n\n`)
  throw usageError(name, path.length === 0 ? 'name a command.' : `name one of its commands.`)
}

export async function run(
  argv: readonly string[],
  io: Io = processIo(),
  table: readonly Command[] = COMMANDS,
): Promise<number> {
  const debug = argv.includes('--debug')
  const errors = createOutput(io, { quiet: false })
  let opening: Promise<Keyward> | null = null
  let running: Command | null = null
  let output: Output | null = null
  let exitCode: number
  try {
    const resolution = resolveCommand(table, argv)
    if (resolution.kind === 'unknown') {
      const name = commandName(resolution.path)
      throw new CliError(EXIT.usage, `${name}: unknown command ${JSON.stringify(resolution.word)}.`, {
        hint: `Run \`${name} --help\` for its commands.`,
      })
    }
    if (resolution.kind === 'group') return runGroup(table, resolution.path, resolution.rest, io)
    const { command, rest } = resolution
    running = command
    if (asksForHelp(rest)) {
      io.stdout.write(`${commandHelp(command)}\n`)
      return EXIT.ok
    }
    const { args, globals } = parseCommandLine(command, rest)
    const commandOutput = createOutput(io, { quiet: globals.quiet })
    output = commandOutput
    const context: CommandContext = {
      io,
      output: commandOutput,
      args,
      name: commandName(command.path),
      quiet: globals.quiet,
      keyward() {
        opening ??= loadConfiguration(globals.config, io).then(({ keyward, source }) => {
          commandOutput.info(`keyward: using ${source}`)
          // The one place the CLI names itself: every command's changes are audited as the CLI's.
          return actingAs(keyward, cliActor(io.env))
        })
        return opening
      },
    }
    exitCode = await command.run(context)
  } catch (error) {
    const kw = opening === null ? null : await (opening as Promise<Keyward>).catch(() => null)
    const explained = running?.worksUnmigrated ? error : await explainStoreFailure(error, kw)
    exitCode = reportFailure(errors, explained, debug)
  }
  // Whatever happened, the instance is closed: pending writes flushed, connections and timers gone.
  const keyward = opening === null ? null : await (opening as Promise<Keyward>).catch(() => null)
  if (keyward !== null) {
    try {
      await keyward.close()
    } catch (error) {
      errors.warn(`keyward: closing the instance failed: ${redactTokens(describeFailure(error).message)}`)
      if (exitCode === EXIT.ok) exitCode = EXIT.unavailable
    }
  }
  // A result that could not be written (a full disk) is a failure; a reader that stopped reading
  // (`keyward … | head -1`: EPIPE) is not.
  const failed = output === null ? null : await output.failedWrite()
  if (failed !== null && failed.code !== 'EPIPE') {
    errors.warn(
      `keyward: writing the result to stdout failed (${failed.code ?? failed.message}): it is incomplete.`,
    )
    if (exitCode === EXIT.ok) exitCode = EXIT.unavailable
  }
  return exitCode
}
