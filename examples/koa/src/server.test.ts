import { fileURLToPath } from 'node:url'
import { exampleSmokeTest } from '@keyward/test-kit'

exampleSmokeTest('koa', fileURLToPath(new URL('..', import.meta.url)))
