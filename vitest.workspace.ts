import type { TestProjectConfiguration } from 'vitest/config'

// The test projects, one per package or example. vitest.config.ts passes this list as
// `test.projects` (Vitest 4 no longer reads a workspace file by itself).
export const projects: TestProjectConfiguration[] = [
  'packages/*/vitest.config.ts',
  'examples/*/vitest.config.ts',
  'bench/vitest.config.ts',
  // The Express adapter's suite once more with `express` itself resolved to Express 4, the peer
  // range's other half: the adapter then imports Express 4, as in an app that installed only it.
  {
    extends: './packages/express/vitest.config.ts',
    root: './packages/express',
    test: { name: 'express 4' },
    resolve: { alias: { express: 'express4' } },
  },
]
