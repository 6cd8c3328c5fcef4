import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../..', import.meta.url))

/** What `npm pack` would publish for a workspace package. */
function packed(workspace: string): string[] {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '-w', workspace], {
    cwd: root,
    encoding: 'utf8',
  })
  const [result] = JSON.parse(output) as { files: { path: string }[] }[]
  return (result?.files ?? []).map((f) => f.path)
}

describe('published tarballs', () => {
  for (const workspace of [
    'packages/core',
    'packages/hono',
    'packages/express',
    'packages/koa',
    'packages/cli',
  ]) {
    it(`${workspace} carries no build leftovers, tests, fixtures or testing helpers`, () => {
      const files = packed(workspace)
      expect(files).toContain('package.json')
      // `npm test` builds before the tests run (publint needs dist/), so under CI the built entry
      // point must be there; a bare `vitest run` on a fresh clone has no dist/ to check.
      if (process.env.CI === 'true' || files.some((f) => f.startsWith('dist/')))
        expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts']))
      const leftovers = files.filter((f) =>
        /tsbuildinfo|\.test\.|(^|\/)testing\/|fixture|types-express4|(^|\/)bench\/|vitest\.config/.test(f),
      )
      expect(leftovers).toEqual([])
    })
  }
})
