import { packageProject } from '../../vitest.shared.ts'

export default packageProject('example-express', 60_000)
