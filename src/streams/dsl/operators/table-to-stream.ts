/** `KTable.toStream()`: each update's new value (a deletion as `null`), with the update's timestamp. */
import type { ProcessorSupplier } from '../../processor/processor.js'
import type { Change } from './aggregate.js'
import { forwarding } from './forwarding.js'

export function tableToStreamProcessor<K, V>(): ProcessorSupplier<K, Change<V>, K, V | null> {
  return forwarding<K, Change<V>, K, V | null>((record, context) => context.forward(record.withValue(record.value.newValue)))
}
