/** `peek` (calls the action, forwards the record) and `foreach` (calls it; terminal). */
import type { ProcessorSupplier } from '../../processor/processor.js'
import { forwarding } from './forwarding.js'

export function peekProcessor<K, V>(action: (key: K, value: V) => void, forward: boolean): ProcessorSupplier<K, V, K, V> {
  return forwarding<K, V, K, V>((record, context) => {
    action(record.key, record.value)
    if (forward) context.forward(record)
  })
}
