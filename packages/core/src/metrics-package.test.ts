import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createKeyward } from './keyward.js'
import { sqliteStore } from './sqlite.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const src = fileURLToPath(new URL('.', import.meta.url))
const dist = fileURLToPath(new URL('../dist/', import.meta.url))

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, Record<string, string>>
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
}

/** The packages a source file imports, and the files of this package it imports. */
function importsOf(file: string): { packages: string[]; files: string[] } {
  const text = readFileSync(`${src}${file}`, 'utf8')
  const specifiers = [...text.matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map(
    (m) => m[1] as string,
  )
  return {
    packages: specifiers.filter((s) => !s.startsWith('.') && !s.startsWith('node:')),
    files: specifiers.filter((s) => s.startsWith('./')).map((s) => s.slice(2).replace(/\.js$/, '.ts')),
  }
}

/** Every source file reachable from `entry`. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const next of importsOf(file).files) visit(next)
  }
  visit(entry)
  return seen
}

describe('the metrics subpaths of @keyward/core', () => {
  it('are exported from source and dist, and published', () => {
    expect(manifest.exports['./opentelemetry']).toEqual({
      'keyward-source': './src/opentelemetry.ts',
      types: './dist/opentelemetry.d.ts',
      default: './dist/opentelemetry.js',
    })
    expect(manifest.exports['./prometheus']).toEqual({
      'keyward-source': './src/prometheus.ts',
      types: './dist/prometheus.d.ts',
      default: './dist/prometheus.js',
    })
    const output = execFileSync(
      'npm',
      ['pack', '--dry-run', '--json', '--ignore-scripts', '-w', 'packages/core'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    )
    const files = (JSON.parse(output) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? []
    for (const entry of ['./opentelemetry', './prometheus']) {
      const targets = manifest.exports[entry] ?? {}
      expect(files).toContain(targets['keyward-source']?.replace('./', ''))
      // As in the tarball tests beside this one: dist/ exists once built (always under CI).
      if (process.env.CI === 'true' || existsSync(dist)) {
        for (const target of [targets.types, targets.default])
          expect(files).toContain(target?.replace('./', ''))
      }
    }
  })

  it('take @opentelemetry/api and prom-client as optional peers', () => {
    expect(manifest.peerDependencies['@opentelemetry/api']).toBe('^1.3.0')
    expect(manifest.peerDependencies['prom-client']).toBe('>=13.0.0 <16')
    expect(manifest.peerDependenciesMeta['@opentelemetry/api']).toEqual({ optional: true })
    expect(manifest.peerDependenciesMeta['prom-client']).toEqual({ optional: true })
  })

  it('only the OpenTelemetry file imports @opentelemetry/api, only the prom-client file prom-client', () => {
    const sources = readdirSync(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    const importing = (name: string) => sources.filter((f) => importsOf(f).packages.includes(name))
    expect(importing('@opentelemetry/api')).toEqual(['opentelemetry.ts'])
    expect(importing('prom-client')).toEqual(['prom-client-registry.ts'])
    // The main entry reaches neither exporter.
    const main = reachable('index.ts')
    expect(main.has('opentelemetry.ts')).toBe(false)
    expect(main.has('prom-client-registry.ts')).toBe(false)
    expect(main.has('metric-catalog.ts')).toBe(false)
  })

  it.runIf(process.env.CI === 'true' || existsSync(dist))(
    'the exposition runs without loading prom-client (built package)',
    () => {
      const script = `
        import { createRequire } from 'node:module'
        import { prometheusExposition } from ${JSON.stringify(`${dist}prometheus.js`)}
        const stats = ${JSON.stringify(statsShape())}
        const text = prometheusExposition({ stats: () => stats })
        const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('prom-client'))
        console.log(JSON.stringify({ lines: text.split('\\n').length, loaded }))`
      const result = JSON.parse(
        execFileSync('node', ['--input-type=module', '-e', script], { encoding: 'utf8' }),
      )
      expect(result.loaded).toEqual([])
      expect(result.lines).toBeGreaterThan(100)
    },
  )
})

/** The stats of a real instance never used: every field the exposition reads, as `stats()` has them now. */
function statsShape() {
  const kw = createKeyward({ store: sqliteStore({ path: ':memory:' }) })
  const stats = kw.stats()
  void kw.close()
  return stats
}
