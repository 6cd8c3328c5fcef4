import type { TokenPatch, TokenRow } from './store.js'

/**
 * How a token row maps to the columns both dialects store: scopes as one space-separated string,
 * metadata as JSON text, every other field as it is.
 */

export function serializeScopes(scopes: readonly string[]): string {
  return scopes.join(' ')
}

export function parseScopes(value: string): string[] {
  return value === '' ? [] : value.split(' ')
}

export function serializeMetadata(metadata: TokenRow['metadata']): string | null {
  return metadata == null ? null : JSON.stringify(metadata)
}

export function parseMetadata(value: string | null): TokenRow['metadata'] {
  return value == null ? null : (JSON.parse(value) as Record<string, unknown>)
}

/** A row as both drizzle schemas select it: scopes and metadata still serialized. */
export type StoredTokenColumns = Omit<TokenRow, 'scopes' | 'metadata'> & {
  scopes: string
  metadata: string | null
}

export function fromColumns(columns: StoredTokenColumns): TokenRow {
  return { ...columns, scopes: parseScopes(columns.scopes), metadata: parseMetadata(columns.metadata) }
}

export function toColumns(row: TokenRow): StoredTokenColumns {
  return { ...row, scopes: serializeScopes(row.scopes), metadata: serializeMetadata(row.metadata) }
}

export function patchColumns(patch: TokenPatch): Partial<StoredTokenColumns> {
  const { scopes, metadata, ...rest } = patch
  const columns: Partial<StoredTokenColumns> = { ...rest }
  if (scopes !== undefined) columns.scopes = serializeScopes(scopes)
  if (metadata !== undefined) columns.metadata = serializeMetadata(metadata)
  return columns
}
