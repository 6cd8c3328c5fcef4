import { fileURLToPath } from 'node:url'
import { exampleSmokeTest } from '@keyward/test-kit'

exampleSmokeTest('express', fileURLToPath(new URL('..', import.meta.url)))
