import type { Command } from '../command.js'
import { auditCommand } from './audit.js'
import { checkCommand } from './check.js'
import { doctorCommand } from './doctor.js'
import { migrateCommand } from './migrate.js'
import { scopesCommand } from './scopes.js'
import { sessionsBump } from './sessions-bump.js'
import { tokensCreate } from './tokens-create.js'
import { tokensExpiring } from './tokens-expiring.js'
import { tokensList } from './tokens-list.js'
import { tokensPurge } from './tokens-purge.js'
import { tokensRevoke } from './tokens-revoke.js'
import { tokensRevokeAll } from './tokens-revoke-all.js'
import { tokensRotate } from './tokens-rotate.js'
import { tokensShow } from './tokens-show.js'
import { usersCutOff } from './users-cut-off.js'

/**
 * The command table, in the order `keyward --help` lists it. A new command is a module of its own
 * (its words, help, options and `run`) and one line here.
 */
export const COMMANDS: readonly Command[] = [
  tokensCreate,
  tokensList,
  tokensShow,
  tokensExpiring,
  tokensRevoke,
  tokensRotate,
  tokensRevokeAll,
  tokensPurge,
  sessionsBump,
  usersCutOff,
  scopesCommand,
  checkCommand,
  auditCommand,
  migrateCommand,
  doctorCommand,
]
