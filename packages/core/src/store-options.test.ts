import { describe, expect, it } from 'vitest'
import { isKeywardError } from './errors.js'
import { postgresStore } from './postgres.js'
import { sqliteStore } from './sqlite.js'

/** The error a call throws, or a failure when it throws none. */
function thrown(call: () => unknown): unknown {
  try {
    call()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

describe('store options', () => {
  it('postgresStore refuses an unknown option, naming it and the known ones', () => {
    // Refused before any connection is opened: the URL need not answer.
    const error = thrown(() =>
      postgresStore({ url: 'postgres://nobody@127.0.0.1:1/none', tablePrefx: 'app_' } as never),
    )
    expect(isKeywardError(error) && error.code).toBe('invalid_option')
    expect((error as Error).message).toBe(
      'postgresStore: unknown option "tablePrefx" (known: url, client, db, schema, tablePrefix, notify, listen).',
    )
  })

  it('sqliteStore refuses an unknown option, naming it and the known ones', () => {
    const error = thrown(() => sqliteStore({ path: ':memory:', pollIntervall: '1s' } as never))
    expect(isKeywardError(error) && error.code).toBe('invalid_option')
    expect((error as Error).message).toBe(
      'sqliteStore: unknown option "pollIntervall" (known: path, client, db, tablePrefix, notify, pollInterval).',
    )
  })

  it('an option set to undefined is still a known one', async () => {
    const store = sqliteStore({ path: ':memory:', tablePrefix: undefined, notify: false } as never)
    await store.migrate()
    expect(await store.getSessionVersion('u')).toBe(0)
    await store.close()
  })
})
