import { packageProject } from '../../vitest.shared.ts'

export default packageProject('example-existing-app', 60_000)
