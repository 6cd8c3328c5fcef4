/**
 * The benchmark's server variants as typed data: the runner picks, pairs and labels them from this
 * table, and hands a variant's framework and guard to its server process as JSON (see server.ts).
 */
import { isDeepStrictEqual } from 'node:util'

export type Framework = 'hono' | 'express' | 'koa'

/** What guards the route `GET /r`. */
export type Guard =
  | { kind: 'none' }
  | { kind: 'trivial' }
  | { kind: 'sha256-lru' }
  | { kind: 'bearer-auth' }
  | { kind: 'better-auth' }
  | {
      kind: 'keyward'
      store: 'sqlite' | 'postgres'
      redis: boolean
      cache: boolean
      /** A listener on every event type, `audit: true`, OpenTelemetry and prom-client (see observed.ts). */
      observed: boolean
    }

/**
 * A variant's part in the report. reference: what a framework's other rows are divided by in the
 * solo runs; floor: SHA-256 + LRU, what the cache-hit verdict compares Keyward with; baseline: the
 * other of bare route and trivial middleware; peer: another library; keyward-observed: a cache hit
 * with events, audit and metrics on, judged against the same hit without them.
 */
export type Role =
  | 'reference'
  | 'baseline'
  | 'floor'
  | 'keyward-hit'
  | 'keyward-observed'
  | 'keyward-miss'
  | 'peer'

/** Whom a variant runs beside: the framework's floor or reference, or the same Keyward unobserved. */
export type Partner = 'floor' | 'reference' | 'plain'

/** Which credential the load sends; the runner mints the tokens (see fixtures.ts). */
export type Credential = 'none' | 'static' | 'sqlite-token' | 'postgres-token' | 'better-auth-key'

export type Variant = {
  /** For logs and BENCH_ONLY; never parsed. */
  id: string
  framework: Framework
  guard: Guard
  role: Role
  label: string
  credential: Credential
}

/** Where a server finds its data; the same for every variant of a run. */
export type ServerFixtures = {
  staticToken: string
  sqlitePath: string
  pgUrl: string
  pgSchema: string
  redisUrl: string
  redisPrefix: string
}

/** What a server process is told, as JSON in BENCH_SERVER. */
export type ServerSpec = { framework: Framework; guard: Guard; fixtures: ServerFixtures }

export const FRAMEWORKS: readonly Framework[] = ['hono', 'express', 'koa']

// Hono leaves its single-handler fast path as soon as any middleware exists, so its reference is
// the trivial middleware; Express and Koa compare with their bare route.
function referenceGuard(framework: Framework): 'none' | 'trivial' {
  return framework === 'hono' ? 'trivial' : 'none'
}

function keywardHit(framework: Framework, store: 'sqlite' | 'postgres', redis: boolean): Variant {
  const name = redis ? 'redis' : store
  const where = redis ? 'SQLite + Redis L2' : store === 'sqlite' ? 'SQLite' : 'Postgres'
  return {
    id: `${framework}-keyward-${name}`,
    framework,
    guard: { kind: 'keyward', store, redis, cache: true, observed: false },
    role: 'keyward-hit',
    label: `Keyward, cache hit (${where})`,
    credential: store === 'postgres' ? 'postgres-token' : 'sqlite-token',
  }
}

/** One framework's rows, in report order. */
export function frameworkVariants(framework: Framework): Variant[] {
  const reference = referenceGuard(framework)
  const peers: Variant[] =
    framework === 'hono'
      ? [
          {
            id: 'hono-bearerauth',
            framework,
            guard: { kind: 'bearer-auth' },
            role: 'peer',
            label: "Hono's bearerAuth (static token)",
            credential: 'static',
          },
        ]
      : []
  const after: Variant[] =
    framework === 'hono'
      ? [
          {
            id: 'hono-better-auth',
            framework,
            guard: { kind: 'better-auth' },
            role: 'peer',
            label: 'better-auth api-key plugin (same SQLite)',
            credential: 'better-auth-key',
          },
        ]
      : []
  return [
    {
      id: `${framework}-bare`,
      framework,
      guard: { kind: 'none' },
      role: reference === 'none' ? 'reference' : 'baseline',
      label: 'bare route',
      credential: 'none',
    },
    {
      id: `${framework}-trivial`,
      framework,
      guard: { kind: 'trivial' },
      role: reference === 'trivial' ? 'reference' : 'baseline',
      label: 'trivial string-compare middleware',
      credential: 'static',
    },
    ...peers,
    {
      id: `${framework}-sha256-lru`,
      framework,
      guard: { kind: 'sha256-lru' },
      role: 'floor',
      label: 'floor: SHA-256 of the header + LRU lookup',
      credential: 'static',
    },
    keywardHit(framework, 'sqlite', false),
    keywardHit(framework, 'postgres', false),
    keywardHit(framework, 'sqlite', true),
    {
      id: `${framework}-keyward-miss`,
      framework,
      guard: { kind: 'keyward', store: 'sqlite', redis: false, cache: false, observed: false },
      role: 'keyward-miss',
      label: 'Keyward, cache off: every request a miss (argon2id)',
      credential: 'sqlite-token',
    },
    {
      id: `${framework}-keyward-observed`,
      framework,
      guard: { kind: 'keyward', store: 'sqlite', redis: false, cache: true, observed: true },
      role: 'keyward-observed',
      label: 'Keyward observed (events + audit + metrics), cache hit (SQLite)',
      credential: 'sqlite-token',
    },
    ...after,
  ]
}

export const VARIANTS: readonly Variant[] = FRAMEWORKS.flatMap(frameworkVariants)

/**
 * Whom a variant runs side by side with (see pair.ts), or null for solo runs only: servers that work
 * off the main thread (argon2id, WebCrypto, better-auth) would take more than half the shared core.
 * A cache hit is judged against the floor, an observed hit against the plain one; the floor and the
 * baseline are shown against the reference.
 */
export function sideBySideWith(variant: Variant): Partner | null {
  if (variant.role === 'keyward-hit') return 'floor'
  if (variant.role === 'keyward-observed') return 'plain'
  if (variant.role === 'floor' || variant.role === 'baseline') return 'reference'
  return null
}

/**
 * Whether a variant runs in the solo rounds too. An observed hit runs side by side only: its verdict
 * is its ratio to the plain hit, and its solo runs would add minutes to tell what the plain row tells.
 */
export function runsSolo(variant: Variant): boolean {
  return variant.role !== 'keyward-observed'
}

/** The service a variant needs besides SQLite, if any. */
export function serviceNeeded(variant: Variant): 'postgres' | 'redis' | null {
  const { guard } = variant
  if (guard.kind !== 'keyward') return null
  if (guard.redis) return 'redis'
  return guard.store === 'postgres' ? 'postgres' : null
}

/** BENCH_ONLY: variant ids or framework names; empty keeps every variant. */
export function selected(variants: readonly Variant[], only: readonly string[]): Variant[] {
  if (only.length === 0) return [...variants]
  return variants.filter((v) => only.includes(v.id) || only.includes(v.framework))
}

/** A framework's variant in a role, among those that run. */
export function variantIn(
  variants: readonly Variant[],
  framework: Framework,
  role: 'reference' | 'floor',
): Variant | undefined {
  return variants.find((v) => v.framework === framework && v.role === role)
}

/**
 * The variant `variant` runs beside, among those that run: its framework's floor or reference, or
 * for an observed hit the cache hit of the same framework and the same guard, unobserved.
 */
export function partnerOf(variants: readonly Variant[], variant: Variant): Variant | undefined {
  const partner = sideBySideWith(variant)
  if (partner === null) return undefined
  if (partner !== 'plain') return variantIn(variants, variant.framework, partner)
  const { guard } = variant
  if (guard.kind !== 'keyward') return undefined
  const plain = { ...guard, observed: false }
  return variants.find(
    (v) => v.framework === variant.framework && v.role === 'keyward-hit' && isDeepStrictEqual(v.guard, plain),
  )
}
