import { type Keyward, revokeLeakedToken, type TokenRecord } from '@keyward/core'
import { usageError } from '../args.js'
import { CliError } from '../cli-error.js'
import { type Command, type CommandContext, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { requireMember } from '../keyward-shape.js'
import { propagationNote } from '../propagation.js'
import { recordJSON } from '../records.js'
import { readOneToken } from '../token-input.js'
import { tokenIdArgument } from './token-ids.js'

/** Why a leaked token is not one of this configuration's, and what to do. */
const NOT_OURS = {
  too_long: 'it is too long to be a token',
  malformed: 'it does not have the shape <prefix>_<id>_<secret>',
  wrong_prefix: 'its prefix is not this app’s',
  bad_checksum: 'its checksum does not match (mistyped or truncated)',
} as const

/**
 * The token on stdin, decided by the core's `revokeLeakedToken` as any leak report is: revoked
 * only when its secret verifies against the stored hash, since ids are not secret and a forged
 * token may carry a real one. A verdict of no token is a refusal (exit 1); the token itself is
 * never printed.
 */
async function revokeLeaked(kw: Keyward, token: string, name: string, reason: string | undefined) {
  if (kw.credentialKind(token) === 'session') {
    throw usageError(
      name,
      'stdin holds a session token: it has no id to revoke. End that user’s sessions with `keyward sessions bump --user <id>`.',
    )
  }
  requireMember(kw, 'tokens.identify', name)
  const verdict = await revokeLeakedToken(kw, token, reason === undefined ? {} : { reason })
  if (verdict.outcome === 'not_ours') {
    throw new CliError(
      EXIT.refused,
      `${name}: stdin is not a ${kw.tokenPrefix} token: ${NOT_OURS[verdict.reason]}. Nothing was revoked.`,
      {
        hint:
          verdict.reason === 'wrong_prefix'
            ? 'It was minted by another app or deployment: run this with that app’s configuration (--config).'
            : 'Pipe the whole token, exactly as it was leaked.',
      },
    )
  }
  if (verdict.outcome === 'unknown') {
    throw new CliError(
      EXIT.refused,
      `${name}: no token in this store has the id ${verdict.tokenId} with this secret. Nothing was revoked.`,
      {
        hint: 'It was never created here, was purged, or is forged (ids are not secret): check that this is the app’s configuration (--config), and `keyward check` it.',
      },
    )
  }
  return verdict
}

/** The record revoked (now, or `earlier`), and how soon running servers refuse it. */
async function reportRevoked(
  { args, output }: CommandContext,
  kw: Keyward,
  record: TokenRecord,
  earlier: boolean,
): Promise<number> {
  if (args.flag('json')) output.json(recordJSON(record))
  output.info(
    earlier
      ? `Token ${record.id} (${record.prefix}, user ${record.userId}) was already revoked at ${record.revokedAt?.toISOString()}.`
      : `Revoked token ${record.id} (${record.prefix}, "${record.name}", user ${record.userId}).`,
  )
  output.info(await propagationNote(kw))
  return EXIT.ok
}

export const tokensRevoke: Command = {
  path: ['tokens', 'revoke'],
  summary: 'Revoke a token by id, or a leaked token read from stdin',
  details: [
    'With --stdin the token is read from stdin (asked for, without echo, on a terminal) and revoked only if its secret verifies against the stored hash (a forged token carrying a real id revokes nothing); only its id is printed, and the reason is "leaked" unless --reason is given. Running servers on the same database refuse the token within the bound printed after the revoke.',
  ],
  positionals: [{ name: 'id', optional: true, help: 'the token’s id; or pass --stdin' }],
  options: {
    stdin: { type: 'boolean', help: 'read the (leaked) token itself from stdin' },
    reason: { type: 'string', value: 'text', help: 'why, kept with the record (e.g. "leaked in CI log")' },
    json: { ...JSON_OPTION, help: 'print the revoked record as JSON on stdout' },
  },
  examples: [
    'keyward tokens revoke 3fK9x2Lm0pQrStUvWxYz01 --reason "laptop lost"',
    'pbpaste | keyward tokens revoke --stdin --reason "pasted in a public issue"',
  ],
  async run(context) {
    const { args, output, keyward, name, io } = context
    const fromStdin = args.flag('stdin')
    if (fromStdin === (args.positional(0) !== undefined))
      throw usageError(name, 'give either <id> or --stdin.')
    const reason = args.string('reason')
    if (fromStdin) {
      const token = await readOneToken(io, name, 'Token to revoke (input hidden): ')
      const kw = await keyward()
      const verdict = await revokeLeaked(kw, token, name, reason)
      const { record } = verdict
      output.info(`The token on stdin has id ${record.id}.`)
      return reportRevoked(context, kw, record, verdict.outcome === 'already_revoked')
    }
    const id = tokenIdArgument(args, name)
    const kw = await keyward()
    const startedAt = Date.now()
    const record = await kw.tokens.revoke(id, reason === undefined ? {} : { reason })
    if (record === null) {
      throw new CliError(EXIT.refused, `${name}: no token with id ${JSON.stringify(id)} in this store.`, {
        hint: 'Find ids with `keyward tokens list --user <id>`.',
      })
    }
    const earlier = record.revokedAt !== null && record.revokedAt.getTime() < startedAt - 1000
    return reportRevoked(context, kw, record, earlier)
  },
}
