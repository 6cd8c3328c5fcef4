import { fileURLToPath } from 'node:url'
import { exampleTokenRoutesTest } from '@keyward/test-kit'

exampleTokenRoutesTest('hono', fileURLToPath(new URL('..', import.meta.url)))
