/**
 * The Keyward instances open in this process, so that `patAuth()` with no argument uses the one the
 * app created instead of building a second one from the environment: two instances on one
 * database have two caches, and a token revoked through one kept passing through the other.
 *
 * The registry lives on `globalThis` under a registered symbol, so that two copies of the core in
 * one process (an adapter resolving its own copy, a linked package) count the same instances. Its
 * shape is kept to two sets of objects for that reason: every copy must read what another wrote.
 */

type Registry = {
  /** Every instance from `createKeyward()` not yet closed (closing removes it at once). */
  readonly open: Set<object>
  /** Those of them that `patAuth()` with no argument created from the environment. */
  readonly fromEnvironment: Set<object>
}

const SLOT = Symbol.for('keyward.instances')

function registry(): Registry {
  const holder = globalThis as { [SLOT]?: Registry }
  holder[SLOT] ??= { open: new Set(), fromEnvironment: new Set() }
  return holder[SLOT]
}

/**
 * Called by `createKeyward()`. An instance created after `patAuth()` built one from the
 * environment is a second cache on (most likely) the same tokens: said loudly, since routes behind
 * that `patAuth()` keep using the environment's instance.
 */
export function registerInstance(instance: object, logger: { warn(message: string): void }): void {
  const { open, fromEnvironment } = registry()
  if (fromEnvironment.size > 0) {
    logger.warn(
      'a second Keyward instance was created after patAuth() with no argument had built one from the environment (KEYWARD_DATABASE_URL): ' +
        'the routes behind that patAuth() keep using the environment instance, with its own cache and token prefix, so a revoke through this one ' +
        'may not reach them at once. Create your instance before the first request, or pass it: patAuth(kw).',
    )
  }
  open.add(instance)
}

/** Called by `close()`: a closing instance is no longer a choice. */
export function deregisterInstance(instance: object): void {
  const { open, fromEnvironment } = registry()
  open.delete(instance)
  fromEnvironment.delete(instance)
}

/** Records that `instance` was created from the environment for `patAuth()` with no argument. */
export function markFromEnvironment(instance: object): void {
  registry().fromEnvironment.add(instance)
}

/** The instances open now, oldest first. */
export function openInstances(): readonly object[] {
  return [...registry().open]
}
