import { LRUCache } from 'lru-cache'

type GrowingOptions<K extends {}, V extends {}, FC> = Omit<
  LRUCache.OptionsBase<K, V, FC>,
  'max' | 'maxSize' | 'maxEntrySize' | 'sizeCalculation' | 'backgroundFetchSize'
>

const ONE = () => 1

/**
 * An LRU of at most `max` entries whose storage grows with what it holds. Given `max`, lru-cache
 * allocates its arrays for all of it up front (about 28 bytes an entry: 2.8 MiB at 100,000) before
 * the first token arrives, and every byte of that heap is more work for the host app's GC on every
 * request. Counting each entry as size 1 against `maxSize` keeps the same bound with arrays that
 * grow. A pending `fetch()` counts as 1 too (lru-cache 11.5 and later; before, as 0, so that
 * in-flight reads could pile up past the bound).
 */
export function growingLru<K extends {}, V extends {}, FC = unknown>(
  max: number,
  options: GrowingOptions<K, V, FC> = {},
): LRUCache<K, V, FC> {
  return new LRUCache<K, V, FC>({
    ...options,
    maxSize: max,
    sizeCalculation: ONE,
    backgroundFetchSize: 1,
  })
}
