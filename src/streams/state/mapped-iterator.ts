/**
 * A store iterator seen through a mapping: each entry is mapped, or skipped when the mapping
 * returns `undefined` (window and session stores filter the entries of a byte range this way).
 * Closing the mapped iterator closes the inner one.
 */
import type { KeyValue } from '../dsl/options.js'
import type { KeyValueIterator } from './key-value-store.js'

export function mapIterator<K1, V1, K2, V2>(inner: KeyValueIterator<K1, V1>, map: (entry: KeyValue<K1, V1>) => KeyValue<K2, V2> | undefined): KeyValueIterator<K2, V2> {
  const out: KeyValueIterator<K2, V2> = {
    next(): IteratorResult<KeyValue<K2, V2>> {
      for (;;) {
        const r = inner.next()
        if (r.done === true) return { done: true, value: undefined }
        const mapped = map(r.value)
        if (mapped !== undefined) return { done: false, value: mapped }
      }
    },
    return(): IteratorResult<KeyValue<K2, V2>> {
      inner.close()
      return { done: true, value: undefined }
    },
    close: () => inner.close(),
    [Symbol.iterator]: () => out,
  }
  return out
}
