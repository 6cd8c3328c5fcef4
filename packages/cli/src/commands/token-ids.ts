import { usageError } from '../args.js'
import type { Args } from '../command.js'
import { looksLikeToken } from '../redact.js'

/**
 * The `<id>` argument of a token command. A whole token pasted there is refused without being
 * echoed: the id is the part between the underscores, or `tokens revoke --stdin` finds it.
 */
export function tokenIdArgument(args: Args, name: string): string {
  const id = args.positional(0)
  if (id === undefined) throw usageError(name, '<id> is missing.')
  if (looksLikeToken(id)) {
    throw usageError(
      name,
      '<id> is a whole token, not its id. A token on the command line stays in shell history and `ps`: pipe it to `keyward tokens revoke --stdin` or `keyward check` instead.',
    )
  }
  return id
}
