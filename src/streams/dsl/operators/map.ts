/** `map`: a new key and value per record; timestamp and headers kept. */
import type { ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { KeyValue } from '../options.js'
import { forwarding } from './forwarding.js'

export function mapProcessor<K, V, K2, V2>(mapper: (key: K, value: V) => KeyValue<K2, V2>): ProcessorSupplier<K, V, K2, V2> {
  return forwarding<K, V, K2, V2>((record, context) => {
    const kv = mapper(record.key, record.value)
    context.forward(new Record(kv.key, kv.value, record.timestampMs, record.headers))
  })
}
