/**
 * `split()`: the branch processor forwards each record to the child of the first predicate that
 * holds (or to the default child), by name; each branch's stream starts at a pass-through child.
 */
import type { ProcessorSupplier } from '../../processor/processor.js'
import { forwarding } from './forwarding.js'

export function branchProcessor<K, V>(
  predicates: readonly ((key: K, value: V) => boolean)[],
  children: readonly string[],
  defaultChild: string | undefined,
): ProcessorSupplier<K, V, K, V> {
  return forwarding<K, V, K, V>((record, context) => {
    for (let i = 0; i < predicates.length; i++) {
      if ((predicates[i] as (key: K, value: V) => boolean)(record.key, record.value)) {
        context.forward(record, children[i])
        return
      }
    }
    if (defaultChild !== undefined) context.forward(record, defaultChild)
  })
}

/** Forwards every record unchanged: a branch's head, and `merge`. */
export function passThroughProcessor<K, V>(): ProcessorSupplier<K, V, K, V> {
  return forwarding<K, V, K, V>((record, context) => context.forward(record))
}
