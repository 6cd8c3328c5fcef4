import type { Keyward } from '@keyward/core'
import { CliError } from '../cli-error.js'
import type { CommandContext } from '../command.js'
import { EXIT } from '../exit-codes.js'

/** The revocation reason of a token that could not be handed over. */
const UNDELIVERED = 'not delivered: stdout failed'

/**
 * The new token (alone, or in the JSON result) written to stdout. When that fails (a full disk, a
 * closed pipe), nobody has the token: it is revoked at once, since a credential no one received
 * must not stay usable, and the failure says so (exit 4). `retry` is what to do then.
 */
export async function deliverToken(
  { output, name }: Pick<CommandContext, 'output' | 'name'>,
  kw: Keyward,
  tokenId: string,
  text: string,
  retry: string,
): Promise<void> {
  try {
    await output.secret(text)
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    const why = typeof code === 'string' ? ` (${code})` : ''
    await kw.tokens.revoke(tokenId, { reason: UNDELIVERED })
    throw new CliError(
      EXIT.unavailable,
      `${name}: the new token could not be written to stdout${why}, so it was revoked at once (id ${tokenId}): nobody holds it.`,
      { hint: `Fix where stdout goes (a full disk, a closed pipe), then ${retry}.`, cause: error },
    )
  }
}
