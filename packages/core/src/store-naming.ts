import { KeywardError } from './errors.js'

/** Where a store's tables live: the schema and the table prefix, validated once from the options. */

/** Identifiers from options are spliced into DDL, so they are held to a strict pattern. */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/

export type StoreNaming = { schema: string | null; tablePrefix: string }

export function resolveNaming(options: {
  schema?: string | undefined
  tablePrefix?: string | undefined
}): StoreNaming {
  const tablePrefix = options.tablePrefix ?? 'keyward_'
  if (tablePrefix !== '' && !SQL_IDENTIFIER.test(tablePrefix)) {
    throw new KeywardError(
      'invalid_option',
      `tablePrefix must match ${SQL_IDENTIFIER}; got ${JSON.stringify(tablePrefix)}.`,
    )
  }
  const schema = options.schema ?? null
  if (schema !== null && !SQL_IDENTIFIER.test(schema)) {
    throw new KeywardError(
      'invalid_option',
      `schema must match ${SQL_IDENTIFIER}; got ${JSON.stringify(schema)}.`,
    )
  }
  return { schema, tablePrefix }
}
