/**
 * Splits a topology's nodes into sub-topologies: the connected components of the parent graph
 * and of processors sharing a state store (Kafka `InternalTopologyBuilder.makeNodeGroups`). Ids follow Kafka's rule so they match what a
 * Java app would print and name its tasks: source nodes in name order first, then the others,
 * each component taking the next id when its first node is met.
 */
import type { NodeSpec, SinkNodeSpec, SourceNodeSpec } from './node-spec.js'

export interface Subtopology {
  readonly id: number
  /** Every node of the sub-topology, in the order they were added (parents before children). */
  readonly nodes: readonly NodeSpec[]
  readonly sources: readonly SourceNodeSpec[]
  readonly sinks: readonly SinkNodeSpec[]
}

export function computeSubtopologies(nodes: ReadonlyMap<string, NodeSpec>): Subtopology[] {
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
  return groups.map((group, id) =>
    Object.freeze({
      id,
      nodes: Object.freeze(group),
      sources: Object.freeze(group.filter((n): n is SourceNodeSpec => n.kind === 'source')),
      sinks: Object.freeze(group.filter((n): n is SinkNodeSpec => n.kind === 'sink')),
    }),
  )
}
