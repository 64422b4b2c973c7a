/**
 * The shape every stateless operator shares: a processor per task that keeps its context from
 * `init` and hands each record, with the context, to the operator's function.
 */
import type { ProcessorContext, ProcessorSupplier } from '../../processor/processor.js'
import type { Record } from '../../processor/record.js'

export function forwarding<KIn, VIn, KOut, VOut>(
  onRecord: (record: Record<KIn, VIn>, context: ProcessorContext<KOut, VOut>) => void,
): ProcessorSupplier<KIn, VIn, KOut, VOut> {
  return () => {
    let context: ProcessorContext<KOut, VOut>
    return {
      init: (c) => {
        context = c
      },
      process: (record) => onRecord(record, context),
    }
  }
}
