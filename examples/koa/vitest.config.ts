import { packageProject } from '../../vitest.shared.ts'

export default packageProject('example-koa', 60_000)
