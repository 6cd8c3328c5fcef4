import { KeywardError } from './errors.js'
import { assertKnownKeys } from './option-checks.js'
import {
  assertTokenPrefix,
  TOKEN_CHECKSUM_LENGTH,
  TOKEN_ID_LENGTH,
  TOKEN_SECRET_LENGTH,
} from './token-format.js'

/**
 * Rules for secret scanners that find this app's tokens where they should not be (a repository, a
 * log): a gitleaks rule, and the fields of a GitHub secret scanning custom pattern. Both match the
 * token format of one prefix exactly (`tokenPattern(prefix)`); neither can check the CRC32, which
 * the app's own leak handling does. Only RE2/Hyperscan syntax: no lookaround, no backreference.
 */

export type ScannerRuleOptions = {
  /** The app's `tokenPrefix`. */
  prefix: string
  /** The rule's id (default `<prefix>-personal-access-token`). */
  id?: string
  /** What the finding says (default `<prefix> personal access token`). */
  description?: string
}

export type GitleaksRuleOptions = ScannerRuleOptions & {
  /**
   * Start the file with `[extend] useDefault = true`, so that it is a whole config that keeps
   * gitleaks' own rules (default true). False: the `[[rules]]` table alone, to paste into a config.
   */
  extendDefault?: boolean
}

/** The fields of a custom pattern (repository, organization or enterprise settings of GitHub). */
export type GitHubCustomPattern = {
  readonly name: string
  readonly secretFormat: string
  readonly beforeSecret: string
  readonly afterSecret: string
}

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/
const TAIL_LENGTH = TOKEN_SECRET_LENGTH + TOKEN_CHECKSUM_LENGTH
const BASE62 = '[0-9A-Za-z]'
// What may stand beside a token: anything but a character a token could go on with (RE2's \b).
const EDGE = '[^0-9A-Za-z_]'

function misuse(name: string, message: string): never {
  throw new KeywardError('invalid_option', `${name}(): ${message}`)
}

function resolved(name: string, options: ScannerRuleOptions, known: ReadonlySet<string>) {
  if (typeof options !== 'object' || options === null) misuse(name, 'takes an options object with `prefix`.')
  assertKnownKeys(options, known, (key) => `${name}(): unknown option ${JSON.stringify(key)}`)
  assertTokenPrefix(options.prefix)
  const { prefix } = options
  const id = options.id ?? `${prefix}-personal-access-token`
  if (typeof id !== 'string' || !RULE_ID.test(id)) {
    misuse(name, `\`id\` must match ${RULE_ID}; got ${JSON.stringify(id)}.`)
  }
  const description = options.description ?? `${prefix} personal access token`
  if (
    typeof description !== 'string' ||
    description.length === 0 ||
    description.length > 200 ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
    /[\u0000-\u001f\u007f]/.test(description) ||
    // A lone surrogate does not survive UTF-8, and TOML refuses it.
    Buffer.from(description, 'utf8').toString('utf8') !== description
  ) {
    misuse(name, '`description` must be 1 to 200 printable characters on one line.')
  }
  return { prefix, id, description }
}

/** The token format of `prefix` without its edges: what a token is, character by character. */
function secretFormat(prefix: string): string {
  return `${prefix}_${BASE62}{${TOKEN_ID_LENGTH}}_${BASE62}{${TAIL_LENGTH}}`
}

const GITLEAKS_OPTIONS: ReadonlySet<string> = new Set(['prefix', 'id', 'description', 'extendDefault'])

/**
 * A gitleaks config (TOML) with one rule for tokens of `prefix`:
 * `gitleaks git --config keyward.gitleaks.toml` (older gitleaks: `gitleaks detect --config …`).
 */
export function gitleaksRules(options: GitleaksRuleOptions): string {
  const { prefix, id, description } = resolved('gitleaksRules', options, GITLEAKS_OPTIONS)
  const extendDefault = options.extendDefault ?? true
  if (typeof extendDefault !== 'boolean') misuse('gitleaksRules', '`extendDefault` must be true or false.')
  const lines = [
    ...(extendDefault ? ['[extend]', 'useDefault = true', ''] : []),
    '[[rules]]',
    // A JSON string is a TOML basic string here: only printable characters, escaped the same way.
    `id = ${JSON.stringify(id)}`,
    `description = ${JSON.stringify(description)}`,
    // A literal string ('''…'''): the backslashes stay as written.
    `regex = '''\\b${secretFormat(prefix)}\\b'''`,
    // Gitleaks runs a rule only on text holding one of its keywords (compared in lower case).
    `keywords = [${JSON.stringify(`${prefix}_`)}]`,
  ]
  return `${lines.join('\n')}\n`
}

const PATTERN_OPTIONS: ReadonlySet<string> = new Set(['prefix', 'id'])

/**
 * The fields of a GitHub secret scanning custom pattern for tokens of `prefix` (name: `id`), for
 * private repositories of an organization with secret scanning. Public repositories are covered by
 * the partner program instead (see `createSecretScanningHandler`), whose regex is `secretFormat`.
 */
export function githubCustomPattern(options: Omit<ScannerRuleOptions, 'description'>): GitHubCustomPattern {
  const { prefix, id } = resolved('githubCustomPattern', options, PATTERN_OPTIONS)
  return Object.freeze({
    name: id,
    secretFormat: secretFormat(prefix),
    beforeSecret: `\\A|${EDGE}`,
    afterSecret: `\\z|${EDGE}`,
  })
}
