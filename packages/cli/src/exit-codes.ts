/**
 * The exit codes of every `keyward` command, as data (the README's table repeats them). A script
 * can tell "the answer is no" (1) from "you called it wrong" (2), "the app's configuration is
 * wrong" (3) and "a service failed, try again" (4).
 */
export const EXIT = {
  /** Done; for `check`, the token is valid. */
  ok: 0,
  /**
   * The answer is no: a token refused by `check`, an id not found, a token not active, a limit
   * reached, a `doctor` check failed, migrations pending (`migrate --status`), a purge not confirmed.
   */
  refused: 1,
  /** The command line is wrong: unknown command or option, a missing or bad value. Nothing was changed. */
  usage: 2,
  /**
   * The configuration is wrong or missing: no config file, a bad export, an invalid Keyward option;
   * or the database is not migrated (run `keyward migrate`).
   */
  config: 3,
  /**
   * The store, Redis or another service failed, the result could not be written to stdout, or an
   * unexpected error. Retrying may help.
   */
  unavailable: 4,
  /** Ctrl-C at a prompt for a token: nothing was read or changed (128 + SIGINT, as a shell reports it). */
  interrupted: 130,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** One line per code, for `keyward --help`. */
export const EXIT_CODE_HELP = [
  '0  done (check: the token is valid)',
  '1  the answer is no: refused or not found (check: the token is refused; doctor: a check failed;',
  '   migrate --status: migrations pending; purge: not confirmed)',
  '2  usage error: fix the command line; nothing was changed',
  '3  configuration error: the config file, its export or an option; or the database is not',
  '   migrated (run keyward migrate)',
  '4  the store or another service failed, stdout could not be written, or an unexpected error',
  '130  canceled with Ctrl-C: nothing was changed',
] as const
