import { KeywardError } from './errors.js'

/**
 * Refuses an options object with a key the caller does not know (a misspelt option would otherwise
 * be ignored without a word). A key set to undefined is still a known one.
 */
export function refuseUnknownOptions(options: object, known: readonly string[], caller: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new KeywardError(
        'invalid_option',
        `${caller}: unknown option ${JSON.stringify(key)} (known: ${known.join(', ')}).`,
      )
    }
  }
}
