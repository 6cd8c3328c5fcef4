import { existsSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createKeyward, type Keyward, type KeywardOptions, storeFromEnv } from '@keyward/core'
import { CliError } from './cli-error.js'
import { EXIT } from './exit-codes.js'
import type { Io } from './io.js'
import { assertKeyward } from './keyward-shape.js'
import { maskUrl, redactTokens } from './redact.js'

/**
 * Which Keyward instance the commands use: the app's own, exported by a config module, so that the
 * token prefix, scopes, hasher, store, table prefix and schema are the app's; else the one
 * `patAuth()` with no argument builds, from KEYWARD_DATABASE_URL and KEYWARD_REDIS_URL.
 */

export const CONFIG_FILES = [
  'keyward.config.ts',
  'keyward.config.mts',
  'keyward.config.js',
  'keyward.config.mjs',
]

export type ConfigFile = { readonly path: string; readonly from: '--config' | 'KEYWARD_CONFIG' | 'directory' }

function named(path: string, from: ConfigFile['from'], cwd: string): ConfigFile {
  const absolute = isAbsolute(path) ? path : resolve(cwd, path)
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    throw new CliError(EXIT.config, `${from} names ${path}, and there is no such file (looked in ${cwd}).`, {
      hint: "Give the path of the module that exports the app's Keyward instance.",
    })
  }
  return { path: absolute, from }
}

/** `--config`, else KEYWARD_CONFIG, else the first keyward.config.* in the directory; null when none. */
export function locateConfig(flag: string | undefined, io: Pick<Io, 'env' | 'cwd'>): ConfigFile | null {
  if (flag !== undefined) return named(flag, '--config', io.cwd)
  const fromEnv = io.env.KEYWARD_CONFIG?.trim()
  if (fromEnv) return named(fromEnv, 'KEYWARD_CONFIG', io.cwd)
  for (const file of CONFIG_FILES) {
    const path = join(io.cwd, file)
    if (existsSync(path)) return { path, from: 'directory' }
  }
  return null
}

/** Failures of the network while the module ran (its own connection): an outage, not a bad file. */
const NETWORK = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)$/

/**
 * The module, imported without a build step. TypeScript goes through tsx's `tsImport`: it keeps
 * Node's own ESM semantics (top-level await, import.meta, package exports and conditions) and
 * registers its loader for this one import only, so the CLI's own modules are not transformed;
 * jiti would run the file through its own CommonJS-style loader instead. JavaScript is imported
 * natively.
 */
async function importConfig(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href
  if (/\.[cm]?tsx?$/.test(path)) {
    const { tsImport } = await import('tsx/esm/api')
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>
  }
  return (await import(url)) as Record<string, unknown>
}

/**
 * The exports of a module as written. A TypeScript module of a CommonJS package (no `"type":
 * "module"`) is compiled to CommonJS by tsx and arrives as `{ default: its exports }`, marked
 * `__esModule` (or, hand-written, holding `default` or `keyward` itself without being an instance).
 */
function exportsOf(module: Record<string, unknown>): Record<string, unknown> {
  const inner = module.default as Record<string, unknown> | null | undefined
  if (typeof inner !== 'object' || inner === null) return module
  const compiled = inner.__esModule === true
  const wrapper = typeof inner.tokens !== 'object' && ('default' in inner || 'keyward' in inner)
  return compiled || wrapper ? inner : module
}

/** The instance a module exports: `default` or `keyward`, an instance, a promise or a function giving one. */
async function exported(module: Record<string, unknown>, where: string): Promise<unknown> {
  const exports = exportsOf(module)
  let value = exports.default ?? exports.keyward
  if (value === undefined) {
    const names = Object.keys(exports).filter((name) => name !== '__esModule')
    throw new CliError(
      EXIT.config,
      `${where} exports neither \`default\` nor \`keyward\` (it exports ${names.length > 0 ? names.join(', ') : 'nothing'}).`,
      { hint: "Export the app's Keyward instance: `export default kw`, or `export const keyward = kw`." },
    )
  }
  if (typeof value === 'function') value = (value as () => unknown)()
  return await value
}

/**
 * Why a module could not be loaded, in one line: the first of its message, and the next when the
 * first only announces it (esbuild's "Transform failed with 1 error:").
 */
function loadFailure(error: unknown): string {
  const lines = (error instanceof Error ? error.message : String(error)).split('\n').filter((l) => l.trim())
  const [first = '', second] = lines
  return first.endsWith(':') && second !== undefined ? `${first} ${second.trim()}` : first
}

/** What to do about a module that could not be loaded. */
function loadHint(reason: string): string {
  if (/top-level await/i.test(reason) && /cjs/.test(reason)) {
    return 'The package is CommonJS (no "type": "module"), where a .ts file cannot use a top-level await: name the config keyward.config.mts, or move the await into an exported async function.'
  }
  return 'Fix the module (run it with `npx tsx` to see the error in full, or pass --debug).'
}

export async function loadConfigFile(file: ConfigFile, cwd: string): Promise<Keyward> {
  const where = relative(cwd, file.path) || file.path
  let module: Record<string, unknown>
  try {
    module = await importConfig(file.path)
  } catch (error) {
    const code = (error as { code?: unknown })?.code
    if (typeof code === 'string' && NETWORK.test(code)) throw error
    const reason = loadFailure(error)
    throw new CliError(EXIT.config, `${where} could not be loaded: ${reason}`, {
      hint: loadHint(reason),
      cause: error,
    })
  }
  let value: unknown
  try {
    value = await exported(module, where)
  } catch (error) {
    if (error instanceof CliError) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new CliError(EXIT.config, `${where}: the exported function or promise failed: ${reason}`, {
      cause: error,
    })
  }
  return assertKeyward(value, where)
}

/** Where the environment's configuration puts the tokens, for the "using …" line (no password). */
export function describeEnvironment(env: Io['env'], cwd: string): string {
  const url = env.KEYWARD_DATABASE_URL?.trim() || 'keyward.db'
  const store = /^postgres(ql)?:\/\//.test(url)
    ? `Postgres ${maskUrl(url)}`
    : `SQLite file ${resolve(cwd, url.replace(/^(sqlite|file):(\/\/)?/, ''))}`
  const redis = env.KEYWARD_REDIS_URL?.trim()
  return `the environment (KEYWARD_DATABASE_URL): ${store}${redis ? `, Redis ${maskUrl(redis)}` : ''}`
}

export type LoadedConfiguration = { readonly keyward: Keyward; readonly source: string }

/**
 * What `createKeyward()` with no options builds (the store from KEYWARD_DATABASE_URL, Redis from
 * KEYWARD_REDIS_URL as the shared level), except that the store is not migrated when it opens: a
 * `migrate --print` or a `doctor` must see the database as it is. Its warnings go to stderr
 * through the token filter.
 */
async function environmentKeyward(io: Io): Promise<Keyward> {
  const env = io.env as NodeJS.ProcessEnv
  const store = storeFromEnv(env, { migrate: false })
  // Awaited by the instance on first use; a driver missing is reported then, not as unhandled.
  store.catch(() => {})
  const redisUrl = env.KEYWARD_REDIS_URL?.trim()
  let sharedCache: KeywardOptions['sharedCache']
  if (redisUrl) {
    const { redisCache } = await import('@keyward/core/redis').catch((error: unknown) => {
      throw new CliError(EXIT.config, 'KEYWARD_REDIS_URL needs the "ioredis" package.', {
        hint: 'npm install ioredis, or unset KEYWARD_REDIS_URL.',
        cause: error,
      })
    })
    sharedCache = redisCache({ url: redisUrl })
  }
  return createKeyward({
    store,
    ...(sharedCache === undefined ? {} : { sharedCache }),
    logger: { warn: (message) => void io.stderr.write(`keyward: ${redactTokens(message)}\n`) },
  })
}

/**
 * The app's instance from its config file, else the environment's, as `patAuth()` with no argument
 * configures it but without migrating on open. Without a config file and without
 * KEYWARD_DATABASE_URL, the default SQLite file must exist already: a mistyped directory must not
 * create a new database.
 */
export async function loadConfiguration(flag: string | undefined, io: Io): Promise<LoadedConfiguration> {
  const file = locateConfig(flag, io)
  if (file !== null) {
    const keyward = await loadConfigFile(file, io.cwd)
    const how = file.from === 'directory' ? '' : ` (from ${file.from})`
    return { keyward, source: `${relative(io.cwd, file.path) || file.path}${how}` }
  }
  if (!io.env.KEYWARD_DATABASE_URL?.trim() && !existsSync(resolve(io.cwd, 'keyward.db'))) {
    throw new CliError(
      EXIT.config,
      `No configuration: no --config, no KEYWARD_CONFIG, no ${CONFIG_FILES.join(' / ')} in ${io.cwd}, KEYWARD_DATABASE_URL is unset, and there is no keyward.db here.`,
      {
        hint: "Pass --config <file> (a module exporting the app's Keyward instance), or set KEYWARD_DATABASE_URL (postgres://… or a SQLite file path).",
      },
    )
  }
  return { keyward: await environmentKeyward(io), source: describeEnvironment(io.env, io.cwd) }
}
