/**
 * A global store as a topology records it (Kafka `Topology#addGlobalStore`): a source reading
 * every partition of one topic and the processor that keeps the store from it. Every app
 * instance holds the whole store; the group never assigns its topic and it makes no tasks. The
 * topic is the store's changelog: a global store has no changelog topic of its own.
 *
 * Its two nodes are not among the topology's nodes (they belong to no sub-topology a task runs);
 * they are numbered with the sub-topologies, as Kafka numbers them (`subtopologies.ts`).
 */
import type { StoreSpec } from '../state/stores.js'
import type { ProcessorNodeSpec, SourceNodeSpec } from './node-spec.js'

export interface GlobalStoreSpec {
  /** The store (logging off); it is among the topology's stores too. */
  readonly store: StoreSpec
  /** The topic the store is kept from (every partition). */
  readonly topic: string
  /** Reads `topic`, nothing else. */
  readonly source: SourceNodeSpec
  /** The source's only child; uses the store and no other, and has no children. */
  readonly processor: ProcessorNodeSpec
}
