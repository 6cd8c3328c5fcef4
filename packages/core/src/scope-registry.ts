import type { ScopeInfo } from './keyward-types.js'
import { invalidOption } from './option-checks.js'
import { assertScopeSyntax } from './scopes.js'

/** The longest description a scope may have: it is shown beside a checkbox, not as prose. */
export const MAX_SCOPE_DESCRIPTION = 200

/** One declared scope: its name and what granting it allows, in words a user reads. */
export type RegisteredScopeInfo<S extends string = string> = {
  readonly name: S
  readonly description: string
}

/**
 * Scopes declared once, each with its description (`defineScopes`). Pass it to
 * `createKeyward({ scopes })`, and register it (see `Register`) to have `requireScope` take only its names.
 */
export type ScopeRegistry<S extends string = string> = {
  /** The scopes in the order they were declared. */
  readonly scopes: readonly RegisteredScopeInfo<S>[]
  /** Their names, in the same order. */
  readonly names: readonly S[]
}

/**
 * Declare your registry here, once, to type every `requireScope` / `requireAnyScope`:
 *
 * ```ts
 * declare module '@keyward/core' {
 *   interface Register { scopes: typeof scopes }
 * }
 * ```
 * Unregistered, they take any string.
 */
// biome-ignore lint/suspicious/noEmptyInterface: apps add to it by declaration merging (module augmentation).
export interface Register {}

type NamesOf<R> =
  R extends ScopeRegistry<infer S> ? S : R extends readonly (infer S extends string)[] ? S : string

/** The registered scope names (see `Register`); `string` when nothing is registered. */
export type RegisteredScope = Register extends { scopes: infer R } ? NamesOf<R> : string

/** A name a declared wildcard covers: `repo:*` covers `repo:read`, `*` covers everything. */
type Covered<S extends string> = S extends '*' ? string : S extends `${infer P}:*` ? `${P}:${string}` : never

/** What `requireScope` / `requireAnyScope` take: a registered name, or one a registered wildcard covers. */
export type RequiredScope = RegisteredScope | Covered<RegisteredScope>

// Registered, so that a registry made by another copy of the core is recognised too.
const REGISTRY_BRAND = Symbol.for('keyward.scopeRegistry')

/**
 * Checks a list of declared scopes: valid scope syntax, no name twice, and a description for each,
 * a non-empty string of at most 200 characters. `what` names the caller in the messages.
 */
function assertScopeEntries(entries: readonly (readonly [unknown, unknown])[], what: string): void {
  if (entries.length === 0) invalidOption(`${what}: declare at least one scope.`)
  const seen = new Set<string>()
  for (const [name, description] of entries) {
    assertScopeSyntax(name)
    if (seen.has(name)) invalidOption(`${what}: the scope ${JSON.stringify(name)} is declared twice.`)
    seen.add(name)
    if (typeof description !== 'string' || description.trim().length === 0) {
      invalidOption(`${what}: the scope ${JSON.stringify(name)} needs a description (a non-empty string).`)
    }
    if (description.length > MAX_SCOPE_DESCRIPTION) {
      invalidOption(
        `${what}: the description of ${JSON.stringify(name)} is ${description.length} characters long; at most ${MAX_SCOPE_DESCRIPTION}.`,
      )
    }
  }
}

/**
 * Declares the app's scopes once, with what each allows: `defineScopes({ 'repo:read': 'Read your
 * repositories' })`. Returns a frozen registry for `createKeyward({ scopes })`; a scope that is not
 * a valid scope token is `invalid_scope`, a missing or over-long description `invalid_option`.
 */
export function defineScopes<D extends Readonly<Record<string, string>>>(
  descriptions: D,
): ScopeRegistry<Extract<keyof D, string>> {
  if (typeof descriptions !== 'object' || descriptions === null || Array.isArray(descriptions)) {
    invalidOption("defineScopes() takes an object of scope names and descriptions: { 'repo:read': '…' }.")
  }
  const entries = Object.entries(descriptions as Record<string, unknown>)
  assertScopeEntries(entries, 'defineScopes()')
  type Name = Extract<keyof D, string>
  const scopes = entries.map(([name, description]) =>
    Object.freeze({ name: name as Name, description: description as string }),
  )
  const registry = {
    scopes: Object.freeze(scopes),
    names: Object.freeze(scopes.map((scope) => scope.name)),
  }
  Object.defineProperty(registry, REGISTRY_BRAND, { value: true })
  return Object.freeze(registry)
}

function isScopeRegistry(value: unknown): value is ScopeRegistry {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[REGISTRY_BRAND] === true
  )
}

/** The `scopes` option resolved: what a token may be granted, and how the instance lists it. */
export type ScopeSettings = {
  readonly allowList: ReadonlySet<string> | null
  /** `kw.scopes`: descriptions are strings with a registry, null with a plain list. */
  readonly scopeList: readonly ScopeInfo[]
}

/** Resolves `createKeyward({ scopes })`: a registry from `defineScopes()`, a plain list, or nothing. */
export function scopeSettings(option: unknown): ScopeSettings {
  if (option === undefined) return { allowList: null, scopeList: Object.freeze([]) }
  if (isScopeRegistry(option)) {
    // Checked again: the registry may come from another copy of the core.
    const listed: unknown = option.scopes
    const entries = (Array.isArray(listed) ? listed : []).map(
      (scope: { name?: unknown; description?: unknown } | null) => [scope?.name, scope?.description] as const,
    )
    assertScopeEntries(entries, 'scopes')
    const scopeList = entries.map(([name, description]) =>
      Object.freeze({ name: name as string, description: description as string }),
    )
    return { allowList: new Set(scopeList.map((scope) => scope.name)), scopeList: Object.freeze(scopeList) }
  }
  if (!Array.isArray(option))
    invalidOption('scopes must be an array of strings, or a registry from defineScopes().')
  for (const scope of option) assertScopeSyntax(scope)
  const allowList = new Set<string>(option)
  return {
    allowList,
    scopeList: Object.freeze([...allowList].map((name) => Object.freeze({ name, description: null }))),
  }
}
