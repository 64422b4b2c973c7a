/** `KTable.mapValues` (Kafka `KTableMapValues`): both sides of each change mapped; deletions stay deletions. */
import type { ProcessorSupplier } from '../../processor/processor.js'
import type { Change } from './aggregate.js'
import { forwarding } from './forwarding.js'

export function tableMapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => V2): ProcessorSupplier<K, Change<V>, K, Change<V2>> {
  return forwarding<K, Change<V>, K, Change<V2>>((record, context) => {
    const { newValue, oldValue } = record.value
    context.forward(
      record.withValue({
        newValue: newValue === null ? null : mapper(newValue, record.key),
        oldValue: oldValue === null ? null : mapper(oldValue, record.key),
      }),
    )
  })
}
