import { defineProject } from 'vitest/config'

/** One package's or example's test project: sources resolved through the `keyward-source` condition. */
export function packageProject(name: string, testTimeout = 20_000) {
  return defineProject({
    resolve: { conditions: ['keyward-source'] },
    ssr: { resolve: { conditions: ['keyward-source'] } },
    test: { name, environment: 'node', include: ['src/**/*.test.ts'], testTimeout, hookTimeout: 30_000 },
  })
}
