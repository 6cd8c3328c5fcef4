import type { PurgeResult, PurgeTokensOptions } from '@keyward/core'
import { CliError } from '../cli-error.js'
import { type Command, JSON_OPTION } from '../command.js'
import { confirm } from '../confirm.js'
import { EXIT } from '../exit-codes.js'
import type { Output } from '../io.js'
import { requireMember } from '../keyward-shape.js'
import { createProgress } from '../progress.js'
import { fullDate } from '../records.js'

/** `3 tokens revoked or expired before 2030-01-31T12:00:00.000Z`. */
const describe = (count: number, before: Date) =>
  `${count} token${count === 1 ? '' : 's'} revoked or expired before ${fullDate(before)}`

function printJson(output: Output, dryRun: boolean, result: PurgeResult): void {
  output.json({ dryRun, purged: result.purged, before: result.before.toISOString() })
}

export const tokensPurge: Command = {
  path: ['tokens', 'purge'],
  summary: 'Delete the rows of tokens revoked or expired long ago (asks first)',
  details: [
    'Counts the tokens revoked, or expired, more than --older-than ago (at least 1d) and deletes them in batches, with a progress bar. Active tokens are never touched, nor a rotated token still in its grace period. After a purge, `keyward check` says of such a token only that no token has its id.',
    'Without --yes it asks on the terminal before deleting; with stdin not a terminal (a script, CI) it refuses with exit 2 unless --yes is given.',
  ],
  options: {
    'older-than': {
      type: 'string',
      value: 'duration',
      required: true,
      help: 'revoked or expired longer ago than this, such as 90d (at least 1d)',
    },
    'dry-run': { type: 'boolean', help: 'count them, and delete nothing' },
    yes: { type: 'boolean', short: 'y', help: 'delete without asking' },
    json: { ...JSON_OPTION, help: 'print { dryRun, purged, before } as JSON on stdout' },
  },
  examples: [
    'keyward tokens purge --older-than 90d --dry-run',
    'keyward tokens purge --older-than 90d --yes --json',
  ],
  async run({ args, output, keyward, name, io, quiet }) {
    const olderThan = args.required('older-than') as PurgeTokensOptions['olderThan']
    const dryRun = args.flag('dry-run')
    const json = args.flag('json')
    const kw = await keyward()
    requireMember(kw, 'tokens.purge', name)
    const counted = await kw.tokens.purge({ olderThan, dryRun: true })
    if (dryRun || counted.purged === 0) {
      if (json) printJson(output, true, counted)
      output.info(
        counted.purged === 0
          ? `No token was revoked or expired before ${fullDate(counted.before)}: nothing to purge.`
          : `${describe(counted.purged, counted.before)} would be purged (dry run: nothing was deleted).`,
      )
      return EXIT.ok
    }
    if (!args.flag('yes')) {
      if (!io.stdin.isTTY) {
        throw new CliError(
          EXIT.usage,
          `${name}: this would delete ${describe(counted.purged, counted.before)}, and there is no terminal to confirm it on.`,
          { hint: 'Add --yes to purge without asking (or --dry-run to count only). Nothing was deleted.' },
        )
      }
      const question = `Delete ${describe(counted.purged, counted.before)}? This cannot be undone.`
      if (!(await confirm(io, question))) {
        output.info('Nothing was deleted.')
        return EXIT.refused
      }
    }
    const progress = createProgress(io.stderr, { label: 'purge', total: counted.purged, enabled: !quiet })
    let result: PurgeResult
    try {
      result = await kw.tokens.purge({ olderThan, onProgress: (done, total) => progress.update(done, total) })
    } finally {
      progress.finish()
    }
    if (json) printJson(output, false, result)
    output.info(`Purged ${describe(result.purged, result.before)}.`)
    return EXIT.ok
  },
}
