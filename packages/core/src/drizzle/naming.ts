import { KeywardError } from '../errors.js'
import { resolveNaming, type StoreNaming } from '../store-naming.js'

/** Validates the naming options of a table or SQL helper: unknown keys are refused, not ignored. */
export function namingOptions(options: object, allowed: readonly string[], caller: string): StoreNaming {
  if (typeof options !== 'object' || options === null) {
    throw new KeywardError('invalid_option', `${caller} takes an options object.`)
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new KeywardError(
        'invalid_option',
        `${caller} has no option ${JSON.stringify(key)}; it takes ${allowed.join(', ')}.`,
      )
    }
  }
  return resolveNaming(options as { schema?: string; tablePrefix?: string })
}
