import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { formatTable } from '../table.js'

export const scopesCommand: Command = {
  path: ['scopes'],
  summary: 'List the scopes the app declares, with their descriptions',
  details: [
    'These are the scopes `keyward tokens create --scope` accepts; without a declared list, any scope name is.',
  ],
  options: { json: { ...JSON_OPTION, help: 'print [{ name, description }] as JSON on stdout' } },
  async run({ args, output, keyward }) {
    const kw = await keyward()
    const scopes = kw.scopes.map(({ name, description }) => ({ name, description }))
    if (args.flag('json')) output.json(scopes)
    else if (scopes.length > 0) {
      output.out(
        formatTable(
          [
            { header: 'scope', cell: (s: (typeof scopes)[number]) => s.name },
            { header: 'description', cell: (s: (typeof scopes)[number]) => s.description ?? '', max: 200 },
          ],
          scopes,
        ),
      )
    }
    if (scopes.length === 0) output.info('This app declares no scopes: tokens may be given any scope name.')
    return EXIT.ok
  },
}
