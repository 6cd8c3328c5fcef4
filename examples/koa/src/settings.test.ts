import { fileURLToPath } from 'node:url'
import { exampleTokenRoutesTest } from '@keyward/test-kit'

exampleTokenRoutesTest('koa', fileURLToPath(new URL('..', import.meta.url)))
