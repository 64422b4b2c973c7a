/** `filter` / `filterNot` (and the null-key filter before a repartition topic): forwards records whose predicate result differs from `negate`. */
import type { ProcessorSupplier } from '../../processor/processor.js'
import { forwarding } from './forwarding.js'

export function filterProcessor<K, V>(predicate: (key: K, value: V) => boolean, negate: boolean): ProcessorSupplier<K, V, K, V> {
  return forwarding<K, V, K, V>((record, context) => {
    if (predicate(record.key, record.value) !== negate) context.forward(record)
  })
}
