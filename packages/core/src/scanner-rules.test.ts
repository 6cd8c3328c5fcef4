import { parse } from 'smol-toml'
import { describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { githubCustomPattern, gitleaksRules } from './scanner-rules.js'
import { manualClock, sqliteBackend } from './testing/backends.js'
import { checksum, tokenPattern } from './token-format.js'

type GitleaksConfig = {
  extend?: { useDefault: boolean }
  rules: Array<{ id: string; description: string; regex: string; keywords: string[] }>
}

const backend = sqliteBackend()

/** Real tokens, as `kw.tokens.create` hands them out. */
async function realTokens(prefix: string, count: number): Promise<string[]> {
  const { store } = await backend.create()
  const kw = createKeyward({
    store,
    clock: manualClock(),
    tokenPrefix: prefix,
    hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
    logger: { warn: () => {} },
  })
  const tokens: string[] = []
  for (let i = 0; i < count; i++)
    tokens.push((await kw.tokens.create({ userId: 'ada', name: `t${i}` })).token)
  await kw.close()
  return tokens
}

/** Strings that look like a token of `acme` but are not one. */
function nearMisses(token: string): string[] {
  const id = token.slice(5, 27)
  const tail = token.slice(28)
  const withChecksum = (body: string) => body + checksum(body)
  return [
    `x${token}`,
    `_${token}`,
    `${token}x`,
    `${token}_`,
    `acmex_${id}_${tail}`,
    `acm_${id}_${tail}`,
    `ACME_${id}_${tail}`,
    `acme_${id.slice(1)}_${tail}`,
    `acme_${id}x_${tail}`,
    `acme_${id}_${tail.slice(1)}`,
    `acme_${id}-${tail}`,
    `acme_${id}_${tail.slice(0, 20)}-${tail.slice(21)}`,
    withChecksum(`other_${id}_${tail.slice(0, 43)}`),
  ]
}

/** RE2 (gitleaks) and Hyperscan (GitHub) have no lookaround and no backreferences. */
function expectPortable(pattern: string): void {
  expect(pattern).not.toMatch(/\(\?<?[=!]|\\[1-9]|\\k</)
}

describe('gitleaksRules()', () => {
  it('is a gitleaks config that parses, keeps the default rules, and matches exactly tokens of the prefix', async () => {
    const toml = gitleaksRules({ prefix: 'acme' })
    const config = parse(toml) as unknown as GitleaksConfig
    expect(config.extend).toEqual({ useDefault: true })
    expect(config.rules).toEqual([
      {
        id: 'acme-personal-access-token',
        description: 'acme personal access token',
        regex: tokenPattern('acme').source,
        keywords: ['acme_'],
      },
    ])
    const rule = config.rules[0] as GitleaksConfig['rules'][number]
    expectPortable(rule.regex)
    const regex = new RegExp(rule.regex, 'g')
    for (const token of await realTokens('acme', 5)) {
      for (const text of [token, `KEY=${token}\n`, `"Authorization": "Bearer ${token}"`, `(${token})`]) {
        expect(text.match(regex)).toEqual([token])
      }
      for (const miss of nearMisses(token)) expect(miss.match(regex)).toBeNull()
      expect(token.toLowerCase()).toContain(rule.keywords[0])
    }
    for (const token of await realTokens('other', 2)) expect(token.match(regex)).toBeNull()
  })

  it('takes an id and description (escaped for TOML), and can be the rule alone', () => {
    const description = 'Acme "PAT" \\ token, ünïcode'
    const toml = gitleaksRules({ prefix: 'acme2', id: 'acme.pat', description, extendDefault: false })
    expect(toml.startsWith('[[rules]]\n')).toBe(true)
    const config = parse(toml) as unknown as GitleaksConfig
    expect(config.extend).toBeUndefined()
    expect(config.rules[0]).toMatchObject({ id: 'acme.pat', description, keywords: ['acme2_'] })
  })

  it('refuses bad options, naming them', () => {
    const refusals: Array<[unknown, RegExp]> = [
      [undefined, /gitleaksRules\(\): takes an options object/],
      [{ prefix: 'Acme' }, /tokenPrefix must match/],
      [{ prefix: 'acme', id: 'has space' }, /`id` must match/],
      [{ prefix: 'acme', id: "a'''b" }, /`id` must match/],
      [{ prefix: 'acme', description: 'two\nlines' }, /`description` must be 1 to 200 printable/],
      [{ prefix: 'acme', description: '\ud800' }, /`description` must be/],
      [{ prefix: 'acme', description: '' }, /`description` must be/],
      [{ prefix: 'acme', extendDefault: 'yes' }, /`extendDefault` must be true or false/],
      [{ prefix: 'acme', regex: '.*' }, /unknown option "regex"/],
    ]
    for (const [options, message] of refusals) {
      expect(() => gitleaksRules(options as never)).toThrow(message)
    }
  })
})

describe('githubCustomPattern()', () => {
  it('gives the fields of a custom pattern that match exactly tokens of the prefix', async () => {
    const pattern = githubCustomPattern({ prefix: 'acme' })
    expect(pattern).toEqual({
      name: 'acme-personal-access-token',
      secretFormat: 'acme_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}',
      beforeSecret: '\\A|[^0-9A-Za-z_]',
      afterSecret: '\\z|[^0-9A-Za-z_]',
    })
    for (const part of Object.values(pattern)) expectPortable(part)
    // How GitHub puts the three together, with \A and \z as JavaScript writes them.
    const js = (edge: string) => edge.replace('\\A', '^').replace('\\z', '$')
    const regex = new RegExp(
      `(?:${js(pattern.beforeSecret)})(${pattern.secretFormat})(?:${js(pattern.afterSecret)})`,
      'm',
    )
    for (const token of await realTokens('acme', 3)) {
      for (const text of [token, `KEY=${token}\n`, `"${token}"`]) expect(regex.exec(text)?.[1]).toBe(token)
      for (const miss of nearMisses(token)) expect(regex.exec(miss)).toBeNull()
    }
    expect(() => githubCustomPattern({ prefix: 'acme', description: 'x' } as never)).toThrow(
      /unknown option "description"/,
    )
  })
})
