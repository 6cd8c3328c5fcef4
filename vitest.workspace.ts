// The test projects, one per package or example. vitest.config.ts passes this list as
// `test.projects` (Vitest 4 no longer reads a workspace file by itself).
export const projects = ['packages/*/vitest.config.ts', 'examples/*/vitest.config.ts']
