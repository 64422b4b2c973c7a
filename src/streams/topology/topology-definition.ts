/** What a `Topology` holds, as the runtime, the test driver and `describe()` read it (not public API). */
import type { StoreSpec } from '../state/stores.js'
import type { InternalTopicSpec, NodeSpec } from './node-spec.js'
import type { Subtopology } from './subtopologies.js'

/** The topology's nodes and internal topics, for the runtime and the test driver (not public API). */
export interface TopologyDefinition {
  readonly nodes: ReadonlyMap<string, NodeSpec>
  readonly internalTopics: ReadonlyMap<string, InternalTopicSpec>
  /** State stores by name. */
  readonly stores: ReadonlyMap<string, StoreSpec>
  /** Sub-topologies in id order, with their nodes in the order they were added. */
  subtopologies(): readonly Subtopology[]
}
