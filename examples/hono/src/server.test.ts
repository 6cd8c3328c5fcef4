import { fileURLToPath } from 'node:url'
import { exampleSmokeTest } from '@keyward/test-kit'

exampleSmokeTest('hono', fileURLToPath(new URL('..', import.meta.url)))
