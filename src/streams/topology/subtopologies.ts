/**
 * Splits a topology's nodes into sub-topologies: the connected components of the parent graph
 * and of processors sharing a state store (Kafka `InternalTopologyBuilder.makeNodeGroups`). Ids follow Kafka's rule so they match what a
 * Java app would print and name its tasks: source nodes in name order first, then the others,
 * each component taking the next id when its first node is met.
 *
 * A global store's source and processor are a component of their own and take an id by the same
 * rule, as in Kafka (`Sub-topology: 0 for global store`, and the tasks of the next one are
 * `1_<p>`), but they are not a sub-topology that runs: they are returned apart. Processors that
 * read a global store are not joined by it — every task reads the instance's one copy.
 */
import type { GlobalStoreSpec } from './global-store-spec.js'
import type { NodeSpec, SinkNodeSpec, SourceNodeSpec } from './node-spec.js'

export interface Subtopology {
  readonly id: number
  /** Every node of the sub-topology, in the order they were added (parents before children). */
  readonly nodes: readonly NodeSpec[]
  readonly sources: readonly SourceNodeSpec[]
  readonly sinks: readonly SinkNodeSpec[]
}

export interface NodeGroups {
  /** The sub-topologies that run as tasks, in id order (ids skip those of global stores). */
  readonly subtopologies: readonly Subtopology[]
  /** Each global store's id. */
  readonly globalStoreIds: ReadonlyMap<string, number>
}

export function computeSubtopologies(topologyNodes: ReadonlyMap<string, NodeSpec>, globalStores: ReadonlyMap<string, GlobalStoreSpec> = new Map()): NodeGroups {
  const nodes = new Map(topologyNodes)
  for (const g of globalStores.values()) nodes.set(g.source.name, g.source).set(g.processor.name, g.processor)
  const parentOf = new Map<string, string>()
  const root = (name: string): string => {
    let r = name
    for (let p = parentOf.get(r); p !== undefined && p !== r; p = parentOf.get(r)) r = p
    // Path compression: later lookups of this chain are one step.
    for (let n = name; n !== r; ) {
      const next = parentOf.get(n) as string
      parentOf.set(n, r)
      n = next
    }
    return r
  }
  for (const name of nodes.keys()) parentOf.set(name, name)
  const union = (x: string, y: string): void => {
    const a = root(x)
    const b = root(y)
    if (a !== b) parentOf.set(a, b)
  }
  const userOfStore = new Map<string, string>()
  for (const spec of nodes.values()) {
    if (spec.kind === 'source') continue
    for (const parent of spec.parents) union(spec.name, parent)
    if (spec.kind !== 'processor') continue
    // Processors sharing a store belong to one sub-topology: one task owns the store's partition.
    for (const store of spec.stores) {
      if (globalStores.has(store)) continue
      const other = userOfStore.get(store)
      if (other === undefined) userOfStore.set(store, spec.name)
      else union(spec.name, other)
    }
  }
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
  const sourceNames = [...nodes.values()].filter((n) => n.kind === 'source').map((n) => n.name).sort(byName)
  const otherNames = [...nodes.values()].filter((n) => n.kind !== 'source').map((n) => n.name).sort(byName)
  const idOfRoot = new Map<string, number>()
  for (const name of [...sourceNames, ...otherNames]) {
    const r = root(name)
    if (!idOfRoot.has(r)) idOfRoot.set(r, idOfRoot.size)
  }
  const groups: NodeSpec[][] = Array.from({ length: idOfRoot.size }, () => [])
  for (const spec of nodes.values()) groups[idOfRoot.get(root(spec.name)) as number]?.push(spec)
  const globalStoreIds = new Map([...globalStores.values()].map((g) => [g.store.name, idOfRoot.get(root(g.source.name)) as number]))
  const globalIds = new Set(globalStoreIds.values())
  const subtopologies = groups.flatMap((group, id) =>
    globalIds.has(id)
      ? []
      : [
          Object.freeze({
            id,
            nodes: Object.freeze(group),
            sources: Object.freeze(group.filter((n): n is SourceNodeSpec => n.kind === 'source')),
            sinks: Object.freeze(group.filter((n): n is SinkNodeSpec => n.kind === 'sink')),
          }),
        ],
  )
  return { subtopologies, globalStoreIds }
}
