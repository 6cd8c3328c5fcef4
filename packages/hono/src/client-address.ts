import { type Keyward, KeywardError } from '@keyward/core'
import type { Context } from 'hono'

/**
 * The client's address as `patAuth()` and `tokenRoutes()` read it: the app's `clientAddress`
 * option, else the socket's address on @hono/node-server (nothing elsewhere). Hono has no
 * framework-wide rule for it (no `trust proxy`), so the app states its own once per call.
 */

export type ClientAddress = (c: Context) => string | null | undefined

/** What @hono/node-server puts in `c.env`: the Node request. */
export type NodeEnv = {
  incoming?: { rawHeaders?: string[]; url?: string; socket?: { remoteAddress?: string } }
}

export const socketAddress: ClientAddress = (c) =>
  (c.env as NodeEnv | undefined)?.incoming?.socket?.remoteAddress

/**
 * The options without `clientAddress`, for the core (which refuses an option it does not know),
 * and that function, checked: `call` names the function it was given to in the error.
 */
export function takeClientAddress<O extends { clientAddress?: ClientAddress }>(
  options: Keyward | O | undefined,
  call: string,
): { rest: Keyward | Omit<O, 'clientAddress'> | undefined; clientAddress: ClientAddress | undefined } {
  if (typeof options !== 'object' || options === null || !('clientAddress' in options)) {
    return { rest: options, clientAddress: undefined }
  }
  const { clientAddress, ...rest } = options
  if (clientAddress !== undefined && typeof clientAddress !== 'function')
    throw new KeywardError('invalid_option', `${call}: \`clientAddress\` must be a function.`)
  return { rest, clientAddress }
}
