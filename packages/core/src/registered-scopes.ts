import { KeywardError } from './errors.js'
import { openInstances } from './instances.js'
import { hasScope } from './scopes.js'

/**
 * The names an instance's scope registry declares, or null when it has none (a plain list or no
 * allow-list: any scope goes, as before registries). Read from `kw.scopes`, whose descriptions are
 * strings only with a registry, so that an instance made by another copy of the core counts too.
 */
function registeredNames(instance: object): readonly string[] | null {
  const list: unknown = (instance as { scopes?: unknown }).scopes
  if (!Array.isArray(list) || typeof list[0]?.description !== 'string') return null
  return list.map((scope: { name: string }) => scope.name)
}

/**
 * The run-time half of a scope registry, for `requireScope` / `requireAnyScope`: a guard for a scope
 * that no registry can grant would answer 403 forever, so it throws `invalid_option` instead, naming
 * the scope and the declared ones. Checked against the open Keyward instances; passes when one of
 * them has no registry (it takes any scope). Returns false, having checked nothing, when no
 * instance is open yet: the adapter calls it again on its first request with `atFirstUse`.
 */
export function assertRegisteredScopes(scopes: readonly string[], what: string, atFirstUse = false): boolean {
  const open = openInstances()
  if (open.length === 0) return atFirstUse
  const declared = new Set<string>()
  for (const instance of open) {
    const names = registeredNames(instance)
    if (names === null) return true
    for (const name of names) declared.add(name)
  }
  const grantable = [...declared]
  for (const scope of scopes) {
    if (!hasScope(grantable, scope)) {
      throw new KeywardError(
        'invalid_option',
        `${what}(): unknown scope ${JSON.stringify(scope)}: the scope registry declares ${grantable.join(', ')}. ` +
          'Fix the name, or declare it in defineScopes(): no token could hold it, so the route would answer 403 forever.',
      )
    }
  }
  return true
}
