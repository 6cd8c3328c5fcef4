import { packageProject } from '../../vitest.shared.ts'

export default packageProject('cli', 60_000)
