import type { Keyward } from '@keyward/core'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { propagationNote } from '../propagation.js'
import { recordJSON, recordPairs } from '../records.js'
import { deliverToken } from './deliver-token.js'
import { tokenIdArgument } from './token-ids.js'

/** What `rotate` takes as `gracePeriod`: a duration string, checked by the core, or 0. */
type GracePeriod = NonNullable<NonNullable<Parameters<Keyward['tokens']['rotate']>[1]>['gracePeriod']>

export const tokensRotate: Command = {
  path: ['tokens', 'rotate'],
  summary:
    'Replace a token with a new one (same name, scopes, lifetime); prints the new token alone on stdout',
  details: ['The old token is refused at once, or after --grace so that a deployment can switch over.'],
  positionals: [{ name: 'id', help: 'the id of the token to replace' }],
  options: {
    grace: {
      type: 'string',
      value: 'duration',
      help: 'how long the old token keeps working, such as 1h (default: 0)',
    },
    json: { ...JSON_OPTION, help: 'print { token, record, previous } as JSON on stdout' },
  },
  examples: ['NEW=$(keyward tokens rotate 3fK9x2Lm0pQrStUvWxYz01 --grace 1h)'],
  async run(context) {
    const { args, output, keyward, name } = context
    const id = tokenIdArgument(args, name)
    const grace = args.string('grace')
    const kw = await keyward()
    const { token, record, previous } = await kw.tokens.rotate(
      id,
      grace === undefined ? {} : { gracePeriod: grace === '0' ? 0 : (grace as GracePeriod) },
    )
    const result = args.flag('json')
      ? JSON.stringify({ token, record: recordJSON(record), previous: recordJSON(previous) }, null, 2)
      : token
    await deliverToken(
      context,
      kw,
      record.id,
      result,
      `mint a replacement with \`keyward tokens create\` (${previous.id} was rotated and cannot be again)`,
    )
    output.info(
      `Rotated ${previous.id} into ${record.id}; the new token is on stdout, shown only this once. The old one is refused ${
        previous.status === 'active' && previous.expiresAt !== null
          ? `from ${previous.expiresAt.toISOString()}`
          : 'now'
      }.`,
    )
    output.info(await propagationNote(kw))
    output.info(recordPairs(record))
    return EXIT.ok
  },
}
