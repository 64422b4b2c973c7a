/** `flatMap`: zero or more new records per record, each with the input's timestamp and headers. */
import type { ProcessorSupplier } from '../../processor/processor.js'
import { Record } from '../../processor/record.js'
import type { KeyValue } from '../options.js'
import { forwarding } from './forwarding.js'

export function flatMapProcessor<K, V, K2, V2>(mapper: (key: K, value: V) => Iterable<KeyValue<K2, V2>>): ProcessorSupplier<K, V, K2, V2> {
  return forwarding<K, V, K2, V2>((record, context) => {
    for (const kv of mapper(record.key, record.value)) context.forward(new Record(kv.key, kv.value, record.timestampMs, record.headers))
  })
}
