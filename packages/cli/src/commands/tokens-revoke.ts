import { type Keyward, parseToken } from '@keyward/core'
import { usageError } from '../args.js'
import { CliError } from '../cli-error.js'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
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

/** The id of the token on stdin, found offline: the token itself is never printed or sent anywhere. */
async function idOfLeakedToken(kw: Keyward, token: string, name: string): Promise<string> {
  if (kw.credentialKind(token) === 'session') {
    throw usageError(
      name,
      'stdin holds a session token: it has no id to revoke. End that user’s sessions with `keyward sessions bump --user <id>`.',
    )
  }
  const parsed = parseToken(token, kw.tokenPrefix)
  if (!parsed.ok) {
    throw new CliError(
      EXIT.refused,
      `${name}: stdin is not a ${kw.tokenPrefix} token: ${NOT_OURS[parsed.reason]}. Nothing was revoked.`,
      {
        hint:
          parsed.reason === 'wrong_prefix'
            ? 'It was minted by another app or deployment: run this with that app’s configuration (--config).'
            : 'Pipe the whole token, exactly as it was leaked.',
      },
    )
  }
  return parsed.token.id
}

export const tokensRevoke: Command = {
  path: ['tokens', 'revoke'],
  summary: 'Revoke a token by id, or a leaked token read from stdin',
  details: [
    'With --stdin the token is read from stdin (asked for, without echo, on a terminal), its id found offline, and only the id is printed. Running servers on the same database refuse the token within the bound printed after the revoke.',
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
  async run({ args, output, keyward, name, io }) {
    const fromStdin = args.flag('stdin')
    if (fromStdin === (args.positional(0) !== undefined))
      throw usageError(name, 'give either <id> or --stdin.')
    const reason = args.string('reason')
    let id: string
    let kw: Keyward
    if (fromStdin) {
      const token = await readOneToken(io, name, 'Token to revoke (input hidden): ')
      kw = await keyward()
      id = await idOfLeakedToken(kw, token, name)
      output.info(`The token on stdin has id ${id}.`)
    } else {
      id = tokenIdArgument(args, name)
      kw = await keyward()
    }
    const startedAt = Date.now()
    const record = await kw.tokens.revoke(id, reason === undefined ? {} : { reason })
    if (record === null) {
      throw new CliError(EXIT.refused, `${name}: no token with id ${JSON.stringify(id)} in this store.`, {
        hint: fromStdin
          ? 'It was never created here, or was purged: check that this is the app’s configuration (--config).'
          : 'Find ids with `keyward tokens list --user <id>`.',
      })
    }
    if (args.flag('json')) output.json(recordJSON(record))
    const earlier = record.revokedAt !== null && record.revokedAt.getTime() < startedAt - 1000
    output.info(
      earlier
        ? `Token ${record.id} (${record.prefix}, user ${record.userId}) was already revoked at ${record.revokedAt?.toISOString()}.`
        : `Revoked token ${record.id} (${record.prefix}, "${record.name}", user ${record.userId}).`,
    )
    output.info(await propagationNote(kw))
    return EXIT.ok
  },
}
