import { defineProject } from 'vitest/config'

/** One package's or example's test project: sources resolved through the `dev-source` condition. */
export function packageProject(name: string, testTimeout = 20_000) {
  return defineProject({
    resolve: { conditions: ['dev-source'] },
    ssr: { resolve: { conditions: ['dev-source'] } },
    test: { name, environment: 'node', include: ['src/**/*.test.ts'], testTimeout, hookTimeout: 30_000 },
  })
}
