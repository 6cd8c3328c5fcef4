import { fileURLToPath } from 'node:url'
import { exampleTokenRoutesTest } from '@keyward/test-kit'

exampleTokenRoutesTest('express', fileURLToPath(new URL('..', import.meta.url)))
