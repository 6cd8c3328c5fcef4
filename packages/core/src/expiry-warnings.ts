import { type Actor, type KnownActor, requireActor } from './actor.js'
import type { Clock } from './clock.js'
import { type DurationString, toLifetime } from './duration.js'
import { KeywardError } from './errors.js'
import { eventOf, type KeywardEvent } from './events.js'
import { ownerOf } from './input.js'
import type { TokenRecord } from './keyward-types.js'
import type { Lifecycle } from './lifecycle.js'
import { assertKnownKeys } from './option-checks.js'
import type { ExpiryClaim, KeywardStore, TokenRow } from './store.js'
import { storeCalls, unsupported } from './store-calls.js'
import { toRecord } from './token-rows.js'
import { expiringInMemory } from './token-upkeep-input.js'

/**
 * Expiry warnings sent once, as GitLab mails its users 7 days and 1 day before a token expires:
 * each (token, window) is claimed in the store by an insert-if-absent, and only the claim's maker
 * emits `token.expiring`. Several processes running it at once, or a run after a restart, never
 * warn twice; a token warned at 7 days is warned again at 1 day (another window).
 */

export type WarnExpiringOptions = {
  /** The windows before expiry to warn at, such as `['7d', '1d']` (each at least `'1m'`; at most 10). */
  windows: readonly DurationString[]
  /** Only this user's tokens. Default: every user's. */
  userId?: string
  /** Who warns, for the events and the audit log. Default `{ kind: 'system' }`. */
  actor?: Actor
}

export type ExpiryWarning = { readonly token: TokenRecord; readonly window: DurationString }

/** What this call warned of (others, claimed before or by another process, are not repeated). */
export type ExpiryWarnings = { readonly warned: readonly ExpiryWarning[] }

const OPTIONS: ReadonlySet<string> = new Set(['windows', 'userId', 'actor'])
const SYSTEM: KnownActor = Object.freeze({ kind: 'system', id: null, address: null, userAgent: null })
const MAX_WINDOWS = 10
/** Tokens read, and claimed, per statement. */
const BATCH = 100

function invalid(message: string): never {
  throw new KeywardError('invalid_argument', message)
}

type Window = { readonly name: DurationString; readonly ms: number }

function requireWarnOptions(options: unknown) {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    invalid("warnExpiring() takes { windows: ['7d', '1d'], userId?, actor? }.")
  }
  assertKnownKeys(
    options,
    OPTIONS,
    (key) => `Unknown warnExpiring() option ${JSON.stringify(key)}`,
    'invalid_argument',
  )
  const given = (options as WarnExpiringOptions).windows
  if (!Array.isArray(given) || given.length === 0 || given.length > MAX_WINDOWS) {
    invalid(`windows must be an array of 1 to ${MAX_WINDOWS} durations such as ['7d', '1d'].`)
  }
  const windows: Window[] = given.map((name: unknown) => ({
    name: name as DurationString,
    ms: toLifetime(name, 'each window', 'invalid_argument'),
  }))
  if (new Set(windows.map((w) => w.ms)).size !== windows.length) invalid('windows must all differ in length.')
  const actor = (options as WarnExpiringOptions).actor
  return {
    // Smallest first: a token is warned for the smallest window it falls in.
    windows: windows.sort((a, b) => a.ms - b.ms),
    userId: ownerOf(options),
    actor: actor === undefined ? SYSTEM : requireActor(actor),
  }
}

/** The claims of one token: the smallest window its expiry falls in, and every larger one. */
function claimsOf(
  row: TokenRow & { expiresAt: number },
  windows: readonly Window[],
  now: number,
): ExpiryClaim[] {
  const smallest = windows.findIndex((window) => row.expiresAt - now <= window.ms)
  return smallest === -1
    ? []
    : windows.slice(smallest).map((window) => ({ tokenId: row.id, windowMs: window.ms }))
}

export function createExpiryWarnings(context: {
  clock: Clock
  lifecycle: Lifecycle
  store: () => Promise<KeywardStore>
  /** Records the warnings (the audit log), then tells the listeners. */
  announce: (events: readonly KeywardEvent[]) => Promise<void>
}) {
  const { clock } = context
  const { withStore } = storeCalls(context)

  return async function warnExpiring(options: WarnExpiringOptions): Promise<ExpiryWarnings> {
    const { windows, userId, actor } = requireWarnOptions(options)
    const largest = (windows[windows.length - 1] as Window).ms
    return withStore('warnExpiring', async (store) => {
      const { claimExpiryWarnings, listExpiringTokens } = store
      if (!claimExpiryWarnings) throw unsupported('claimExpiryWarnings', 'tokens.warnExpiring()')
      if (!listExpiringTokens && userId === undefined)
        throw unsupported('listExpiringTokens', 'tokens.warnExpiring() without a userId')
      const now = clock.now()
      const own = listExpiringTokens ? null : await store.listTokens(userId as string)
      const warned: ExpiryWarning[] = []
      let after: { expiresAt: number; id: string } | undefined
      for (;;) {
        const query = { now, until: now + largest, userId, limit: BATCH, after }
        const rows = (
          own === null ? await listExpiringTokens?.call(store, query) : expiringInMemory(own, query)
        ) as Array<TokenRow & { expiresAt: number }>
        // The smallest window's claim is the warning; the larger ones keep a later run from
        // sending a stale, longer warning after it.
        const claimed = await claimExpiryWarnings.call(
          store,
          rows.flatMap((row) => claimsOf(row, windows, now)),
          now,
        )
        const won = new Set(claimed.map((claim) => `${claim.windowMs}:${claim.tokenId}`))
        const events: KeywardEvent[] = []
        for (const row of rows) {
          const window = windows.find((w) => row.expiresAt - now <= w.ms) as Window
          if (!won.has(`${window.ms}:${row.id}`)) continue
          const token = toRecord(row, now)
          warned.push(Object.freeze({ token, window: window.name }))
          events.push(eventOf('token.expiring', now, { token, window: window.name, actor }))
        }
        await context.announce(events)
        const last = rows[rows.length - 1]
        if (rows.length < BATCH || last === undefined) break
        after = { expiresAt: last.expiresAt, id: last.id }
      }
      return Object.freeze({ warned: Object.freeze(warned) })
    })
  }
}
