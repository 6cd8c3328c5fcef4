import type { CreateTokenInput } from '@keyward/core'
import { usageError } from '../args.js'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { recordJSON, recordPairs } from '../records.js'
import { deliverToken } from './deliver-token.js'

export const tokensCreate: Command = {
  path: ['tokens', 'create'],
  summary: 'Mint a token for a user; prints it alone on stdout (it is shown once)',
  details: [
    'The token is the only thing on stdout, so TOKEN=$(keyward tokens create …) captures it; a summary of the record goes to stderr. Scopes are checked against the app’s declared scopes, the lifetime against its tokenLifetime policy.',
  ],
  options: {
    user: { type: 'string', value: 'id', required: true, help: 'the user the token acts for' },
    name: { type: 'string', value: 'name', required: true, help: 'what the token is called in lists' },
    scope: {
      type: 'string',
      value: 'scope',
      multiple: true,
      help: 'a scope to grant (see `keyward scopes`)',
    },
    'expires-in': {
      type: 'string',
      value: 'duration',
      help: 'lifetime such as 30d, 12h, 90m (default: the app’s tokenLifetime.defaultExpiresIn)',
    },
    'no-expiry': { type: 'boolean', help: 'a token that never expires (only where the app allows it)' },
    description: { type: 'string', value: 'text', help: 'what the token is for' },
    json: { ...JSON_OPTION, help: 'print { token, record } as JSON on stdout' },
  },
  examples: [
    'TOKEN=$(keyward tokens create --user 42 --name "deploy bot" --scope repo:read --expires-in 30d)',
    'keyward tokens create --user 42 --name ci --json | jq -r .token',
  ],
  async run(context) {
    const { args, output, keyward, name } = context
    const expiresIn = args.string('expires-in')
    const never = args.flag('no-expiry')
    if (expiresIn !== undefined && never)
      throw usageError(name, '--expires-in and --no-expiry exclude each other.')
    const description = args.string('description')
    const scopes = args.list('scope')
    const input: CreateTokenInput = {
      userId: args.required('user'),
      name: args.required('name'),
      ...(scopes.length > 0 ? { scopes } : {}),
      ...(never ? { expiresIn: null } : {}),
      ...(expiresIn === undefined
        ? {}
        : { expiresIn: expiresIn as NonNullable<CreateTokenInput['expiresIn']> }),
      ...(description === undefined ? {} : { description }),
    }
    const kw = await keyward()
    const { token, record } = await kw.tokens.create(input)
    const result = args.flag('json') ? JSON.stringify({ token, record: recordJSON(record) }, null, 2) : token
    await deliverToken(context, kw, record.id, result, 'run the command again')
    output.info(
      `Created token ${record.id} for user ${record.userId}; it is on stdout, and shown only this once.`,
    )
    output.info(recordPairs(record))
    return EXIT.ok
  },
}
