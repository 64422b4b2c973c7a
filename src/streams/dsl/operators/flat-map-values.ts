/** `flatMapValues`: zero or more values per record, each with the input's key, timestamp and headers. */
import type { ProcessorSupplier } from '../../processor/processor.js'
import { forwarding } from './forwarding.js'

export function flatMapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => Iterable<V2>): ProcessorSupplier<K, V, K, V2> {
  return forwarding<K, V, K, V2>((record, context) => {
    for (const value of mapper(record.value, record.key)) context.forward(record.withValue(value))
  })
}
