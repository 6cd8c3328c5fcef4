import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['dev-source'] },
  ssr: { resolve: { conditions: ['dev-source'] } },
  test: { name: 'example-express', environment: 'node', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
})
