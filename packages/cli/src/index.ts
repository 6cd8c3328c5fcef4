/**
 * The `keyward` command line as a library: `run(argv)` is what the `keyward` binary calls, and the
 * progress bar is there for commands that report long work.
 */
export type { Args, Command, CommandContext, OptionSpec, PositionalSpec } from './command.js'
export { COMMANDS } from './commands/index.js'
export { EXIT, type ExitCode } from './exit-codes.js'
export type { InStream, Io, Output, OutStream } from './io.js'
export { run } from './main.js'
export { createProgress, type Progress, type ProgressOptions, renderProgress } from './progress.js'
