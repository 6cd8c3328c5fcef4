import { packageProject } from '../../vitest.shared.ts'

export default packageProject('example-hono', 60_000)
