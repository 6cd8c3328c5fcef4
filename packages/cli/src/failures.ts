import { isKeywardError, type KeywardErrorCode } from '@keyward/core'
import { isCliError } from './cli-error.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { redactTokens } from './redact.js'

/**
 * Every failure as the CLI reports it: an exit code, the message, and what to do. The core's
 * messages are kept (they name the option or value at fault); the hint adds the command to run.
 */

export type Failure = { readonly exitCode: ExitCode; readonly message: string; readonly hint: string | null }

const KEYWARD_FAILURES: Readonly<Record<KeywardErrorCode, { exitCode: ExitCode; hint: string | null }>> = {
  invalid_option: {
    exitCode: EXIT.config,
    hint: 'Fix that option where the app creates its Keyward instance (the config file), or the KEYWARD_* variables.',
  },
  invalid_argument: {
    exitCode: EXIT.usage,
    hint: 'Fix that value on the command line; nothing was changed.',
  },
  unknown_scope: { exitCode: EXIT.usage, hint: 'Run `keyward scopes` for the scopes this app declares.' },
  invalid_scope: {
    exitCode: EXIT.usage,
    hint: 'A scope is printable ASCII without spaces, quotes or backslashes; run `keyward scopes` for the declared ones.',
  },
  token_not_found: { exitCode: EXIT.refused, hint: 'Find ids with `keyward tokens list --user <id>`.' },
  token_not_active: {
    exitCode: EXIT.refused,
    hint: 'Only an active token can be rotated: mint a new one with `keyward tokens create`.',
  },
  too_many_tokens: {
    exitCode: EXIT.refused,
    hint: 'Revoke tokens the user no longer needs: `keyward tokens list --user <id> --status active`, then `keyward tokens revoke <id>`.',
  },
  unsupported: {
    exitCode: EXIT.config,
    hint: "The app's store does not implement what this command needs: use sqliteStore() or postgresStore(), or add the method to the custom store.",
  },
  store_error: {
    exitCode: EXIT.unavailable,
    hint: 'Check that the database is up and reachable with the configured URL, then run the command again.',
  },
  invalidation_unconfirmed: {
    exitCode: EXIT.unavailable,
    hint: 'The change is saved. Running servers that were not told refuse the token when their cache entry expires (the cache TTL); run the command again to tell them now.',
  },
  closed: {
    exitCode: EXIT.unavailable,
    hint: 'The instance was closed while the command ran: run it again.',
  },
}

/**
 * The core names the API's options in its messages (`expiresIn must be …`); the hint names the
 * flag that carried the value.
 */
const FLAG_OF: Readonly<Record<string, string>> = {
  expiresIn: '--expires-in',
  gracePeriod: '--grace',
  status: '--status',
  userId: '--user',
  name: '--name',
  description: '--description',
  reason: '--reason',
  id: '<id>',
  within: '--within',
  olderThan: '--older-than',
  limit: '--limit',
  timeout: '--timeout',
}

function argumentHint(message: string): string | null {
  // `doctor(): timeout must be …` names the option after the call.
  const option = /^(?:[\w.]+\(\):? )?(\w+)\b/.exec(message)?.[1]
  const flag = option === undefined ? undefined : FLAG_OF[option]
  return flag === undefined ? null : `Fix ${flag} on the command line; nothing was changed.`
}

const firstLine = (text: string) => {
  const line = text.split('\n')[0] ?? ''
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}

export function describeFailure(error: unknown): Failure {
  if (isCliError(error))
    return { exitCode: error.exitCode, message: redactTokens(error.message), hint: error.hint }
  if (isKeywardError(error)) {
    const known = KEYWARD_FAILURES[error.code] ?? { exitCode: EXIT.unavailable, hint: null }
    const hint = (error.code === 'invalid_argument' ? argumentHint(error.message) : null) ?? known.hint
    return { exitCode: known.exitCode, message: redactTokens(error.message), hint }
  }
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? firstLine(error.message) : firstLine(String(error))
  return {
    exitCode: EXIT.unavailable,
    message: redactTokens(
      typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message,
    ),
    hint: 'Run again with --debug to see where it failed.',
  }
}

/**
 * A module run from a `data:` URL (tsx compiles a config of a CommonJS package so) has its whole
 * source, secrets included, in every stack frame's location: `--debug` keeps only the file it
 * came from (the URL's `filePath`), or `data:…`.
 */
const DATA_URL = /data:[^\s?]*(?:\?filePath=([^\s:)?]+))?[^\s:)]*/g

/** A stack as `--debug` prints it: module sources cut out, tokens redacted. */
export function debugStack(stack: string): string {
  const located = stack.replace(DATA_URL, (_url, path: string | undefined) =>
    path === undefined ? 'data:…' : decodeURIComponent(path).replace(/\?.*$/, ''),
  )
  return redactTokens(located)
}
