import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../..', import.meta.url))

/** What `npm pack` would publish for @keyward/core. */
function packedCore(): string[] {
  const output = execFileSync(
    'npm',
    ['pack', '--dry-run', '--json', '--ignore-scripts', '-w', 'packages/core'],
    { cwd: root, encoding: 'utf8' },
  )
  const [result] = JSON.parse(output) as { files: { path: string }[] }[]
  return (result?.files ?? []).map((f) => f.path)
}

type Exports = Record<string, Record<string, string> | string>
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Exports
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
}

describe('@keyward/core/testing in the tarball', () => {
  it('ships the store contract suite that the ./testing export names, and no internal helper', () => {
    const files = packedCore()
    const testing = manifest.exports['./testing'] as Record<string, string>
    expect(testing['keyward-source']).toBe('./src/store-contract.ts')
    expect(files).toContain('src/store-contract.ts')
    // As in the tarball test beside it: dist/ exists once built (always under CI).
    if (process.env.CI === 'true' || files.some((f) => f.startsWith('dist/'))) {
      for (const target of [testing.types, testing.default])
        expect(files).toContain(target?.replace('./', ''))
      // and the modules the suite imports.
      for (const part of ['store-contract-kit', 'store-contract-rows', 'store-contract-state']) {
        expect(files).toEqual(expect.arrayContaining([`dist/${part}.js`, `dist/${part}.d.ts`]))
      }
    }
    // The helpers of the internal export stay out: resolved from source in this repository only.
    expect(manifest.exports['./internal/testing']).toEqual({ 'keyward-source': './src/testing/internal.ts' })
    expect(files.filter((f) => f.includes('testing/'))).toEqual([])
  })

  it('makes vitest an optional peer dependency', () => {
    expect(manifest.peerDependencies.vitest).toBeDefined()
    expect(manifest.peerDependenciesMeta.vitest).toEqual({ optional: true })
  })
})
