/** The most a page of `tokens.page()` or `tokens.expiring()` holds. */
const PAGE = 100

type Page<T> = { readonly tokens: readonly T[]; readonly nextCursor: string | null }

/**
 * A listing read page by page until `limit` records (Infinity: all) or the last page: the records,
 * and whether there are more than were read.
 */
export async function readPages<T>(
  limit: number,
  page: (size: number, cursor: string | null) => Promise<Page<T>>,
): Promise<{ records: T[]; more: boolean }> {
  const records: T[] = []
  let cursor: string | null = null
  do {
    const next: Page<T> = await page(Math.min(PAGE, limit - records.length), cursor)
    records.push(...next.tokens)
    cursor = next.nextCursor
  } while (cursor !== null && records.length < limit)
  return { records, more: cursor !== null }
}
