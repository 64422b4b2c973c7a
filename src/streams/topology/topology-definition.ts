/** What a `Topology` holds, as the runtime, the test driver and `describe()` read it (not public API). */
import type { StoreSpec } from '../state/stores.js'
import type { GlobalStoreSpec } from './global-store-spec.js'
import type { InternalTopicSpec, NodeSpec } from './node-spec.js'
import type { Subtopology } from './subtopologies.js'

/** The topology's nodes and internal topics, for the runtime and the test driver (not public API). */
export interface TopologyDefinition {
  readonly nodes: ReadonlyMap<string, NodeSpec>
  readonly internalTopics: ReadonlyMap<string, InternalTopicSpec>
  /** State stores by name (global stores included). */
  readonly stores: ReadonlyMap<string, StoreSpec>
  /** Global stores by store name; their nodes are not among `nodes`. */
  readonly globalStores: ReadonlyMap<string, GlobalStoreSpec>
  /**
   * The sub-topologies that run as tasks, in id order, with their nodes in the order they were
   * added. Ids are Kafka's and count the global stores too, so they may have gaps.
   */
  subtopologies(): readonly Subtopology[]
  /** Each global store's sub-topology id (it generates no tasks). */
  globalStoreIds(): ReadonlyMap<string, number>
}
