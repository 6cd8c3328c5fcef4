import { describeStoreError, isKeywardError, KeywardError } from './errors.js'
import type { Lifecycle } from './lifecycle.js'
import type { KeywardStore } from './store.js'

/**
 * How the management and operator calls reach the store: refused once the instance is closed, and
 * a store's own failure rethrown as `store_error` naming the call. A `KeywardError` passes as it is.
 */
export function storeCalls(context: { lifecycle: Lifecycle; store: () => Promise<KeywardStore> }) {
  const assertOpen = (): void => {
    if (context.lifecycle.closed) throw new KeywardError('closed', 'This Keyward instance is closed.')
  }
  const withStore = async <T>(during: string, work: (store: KeywardStore) => Promise<T>): Promise<T> => {
    assertOpen()
    try {
      return await work(await context.store())
    } catch (error) {
      if (isKeywardError(error)) throw error
      // No `cause`: a driver's error can hold the statement's parameters (a new token's hash).
      throw new KeywardError(
        'store_error',
        `The token store failed during ${during}: ${describeStoreError(error)}`,
      )
    }
  }
  return { assertOpen, withStore }
}

/** The refusal of a call whose store lacks an optional method it needs (a custom store). */
export function unsupported(method: string, call: string): KeywardError {
  return new KeywardError(
    'unsupported',
    `${call} needs the store's ${method}(), which this store does not implement (see KeywardStore).`,
  )
}
