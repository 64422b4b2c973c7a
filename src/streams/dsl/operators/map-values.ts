/** `mapValues`: a new value per record; key, timestamp and headers kept. */
import type { ProcessorSupplier } from '../../processor/processor.js'
import { forwarding } from './forwarding.js'

export function mapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => V2): ProcessorSupplier<K, V, K, V2> {
  return forwarding<K, V, K, V2>((record, context) => context.forward(record.withValue(mapper(record.value, record.key))))
}
