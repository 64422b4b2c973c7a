/** `selectKey`: a new key per record; value, timestamp and headers kept. */
import type { ProcessorSupplier } from '../../processor/processor.js'
import { forwarding } from './forwarding.js'

export function selectKeyProcessor<K, V, K2>(mapper: (key: K, value: V) => K2): ProcessorSupplier<K, V, K2, V> {
  return forwarding<K, V, K2, V>((record, context) => context.forward(record.withKey(mapper(record.key, record.value))))
}
