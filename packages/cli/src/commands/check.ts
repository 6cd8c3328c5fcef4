import { type Keyward, parseToken, type RejectionReason, type TokenRecord } from '@keyward/core'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { fullDate, recordJSON } from '../records.js'
import { formatPairs } from '../table.js'
import { readOneToken } from '../token-input.js'
import { pendingStatus, unmigratedError } from '../unmigrated.js'
import { REJECTION_TEXT } from './check-reasons.js'

/** The reason the core counted for the refusal just made: the counter that moved. */
function reasonCounted(
  before: Readonly<Record<RejectionReason, number>>,
  after: Readonly<Record<RejectionReason, number>>,
): RejectionReason | null {
  return (
    (Object.keys(after) as RejectionReason[]).find((reason) => after[reason] > (before[reason] ?? 0)) ?? null
  )
}

/** The stored record of a PAT by its id (read offline from the token), or null. */
async function storedRecord(kw: Keyward, token: string): Promise<TokenRecord | null> {
  const parsed = parseToken(token, kw.tokenPrefix)
  return parsed.ok ? kw.tokens.get(parsed.token.id) : null
}

const describeRecord = (r: TokenRecord) => `${r.id} (${r.prefix}, "${r.name}", user ${r.userId})`

export const checkCommand: Command = {
  path: ['check'],
  summary: 'Tell what a token read from stdin resolves to, or why it is refused',
  details: [
    'The token is read from stdin (asked for without echo on a terminal), never from the arguments. It is authenticated exactly as a server would: for a valid token the user, kind (pat or session), scopes and expiry; for a refused one the answer (status and code) and the reason. A valid PAT counts as used (its last-used time is written).',
    'Exit 0 when valid, 1 when refused, 4 when the store did not answer.',
  ],
  options: { json: JSON_OPTION },
  extraArguments:
    'the token is read from stdin, never from the arguments: a token on the command line stays in shell history and `ps`. Pipe it (printf %s "$TOKEN" | keyward check), or run `keyward check` on a terminal and paste it at the prompt.',
  examples: ['printf %s "$TOKEN" | keyward check', 'keyward check --json < token.txt'],
  async run({ args, output, keyward, io, name }) {
    const token = await readOneToken(io, name, 'Token to check (input hidden): ')
    const kw = await keyward()
    const before = { ...kw.stats().rejections }
    const result = await kw.authenticate(`Bearer ${token}`)
    const json = args.flag('json')
    if (result.ok) {
      const { principal } = result
      const record = principal.tokenId === undefined ? null : await kw.tokens.get(principal.tokenId)
      if (json) {
        output.json({
          valid: true,
          kind: principal.kind,
          userId: principal.userId,
          tokenId: principal.tokenId ?? null,
          scopes: principal.scopes,
          expiresAt: principal.expiresAt?.toISOString() ?? null,
          token: record === null ? null : recordJSON(record),
        })
      } else {
        output.out(
          formatPairs([
            ['valid', 'yes'],
            ['kind', principal.kind],
            ['user', principal.userId],
            ...(record === null ? [] : [['token', describeRecord(record)] as const]),
            ...(principal.sessionId === undefined ? [] : [['session', principal.sessionId] as const]),
            ['scopes', principal.scopes.join(' ') || '(none)'],
            ['expires', fullDate(principal.expiresAt)],
          ]),
        )
      }
      return EXIT.ok
    }
    const { error } = result
    if (error.code === 'unavailable') {
      // A store that did not answer may be a database never migrated: say so, with what to run.
      const pending = await pendingStatus(kw)
      if (pending !== null) throw unmigratedError(pending)
    }
    const reason = reasonCounted(before, kw.stats().rejections)
    const record = error.code === 'unavailable' ? null : await storedRecord(kw, token)
    const because = reason === null ? error.description : REJECTION_TEXT[reason]
    if (json) {
      output.json({
        valid: false,
        status: error.status,
        code: error.code,
        reason,
        description: because,
        token: record === null ? null : recordJSON(record),
      })
    } else {
      const pairs: (readonly [string, string])[] = [
        ['valid', 'no'],
        ['answer', `${error.status} ${error.code}`],
        ['reason', because],
      ]
      if (record !== null) {
        pairs.push(
          ['token', describeRecord(record)],
          ['status', record.status],
          ['expires', fullDate(record.expiresAt)],
        )
        if (record.revokedAt !== null) {
          pairs.push([
            'revoked',
            `${fullDate(record.revokedAt)}${record.revokedReason ? ` (${record.revokedReason})` : ''}`,
          ])
        }
      }
      output.out(formatPairs(pairs))
    }
    return error.code === 'unavailable' ? EXIT.unavailable : EXIT.refused
  },
}
