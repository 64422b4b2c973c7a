/**
 * `Topology.describe()`: the topology as sub-topologies of nodes with their neighbours, and
 * `toString()` in Kafka's exact text format (`TopologyDescription#toString`, streams anchor A.1),
 * so tools and habits that read Kafka's output read ours:
 *
 * ```
 * Topologies:
 *    Sub-topology: 0
 *     Source: KSTREAM-SOURCE-0000000000 (topics: [input])
 *       --> KSTREAM-FILTER-0000000001
 *     Processor: KSTREAM-FILTER-0000000001 (stores: [])
 *       --> KSTREAM-SINK-0000000002
 *       <-- KSTREAM-SOURCE-0000000000
 *     Sink: KSTREAM-SINK-0000000002 (topic: output)
 *       <-- KSTREAM-FILTER-0000000001
 * ```
 *
 * Nodes (and each node's neighbour lists) are ordered as Kafka orders them: larger sub-tree
 * first (the node plus everything downstream of it), then by name — so sources lead and sinks
 * trail. Internal topics print without the application id prefix, as in Kafka. A global store
 * prints in id order among the sub-topologies, as Kafka's does (no blank line after it):
 *
 * ```
 *   Sub-topology: 0 for global store (will not generate tasks)
 *     Source: KSTREAM-SOURCE-0000000001 (topics: [rates])
 *       --> KTABLE-SOURCE-0000000002
 *     Processor: KTABLE-SOURCE-0000000002 (stores: [rates-STATE-STORE-0000000000])
 *       --> none
 *       <-- KSTREAM-SOURCE-0000000001
 * ```
 */
import type { GlobalStoreSpec } from './global-store-spec.js'
import type { NodeSpec } from './node-spec.js'
import type { TopologyDefinition } from './topology-definition.js'

export type NodeDescription =
  | { readonly type: 'source'; readonly name: string; readonly topics: readonly string[]; readonly pattern: string | undefined; readonly successors: readonly string[]; readonly predecessors: readonly string[] }
  | { readonly type: 'processor'; readonly name: string; readonly stores: readonly string[]; readonly successors: readonly string[]; readonly predecessors: readonly string[] }
  | { readonly type: 'sink'; readonly name: string; readonly topic: string | undefined; readonly extractor: string | undefined; readonly successors: readonly string[]; readonly predecessors: readonly string[] }

export interface SubtopologyDescription {
  readonly id: number
  /** In Kafka's print order. */
  readonly nodes: readonly NodeDescription[]
}

/** A global store (Kafka `TopologyDescription.GlobalStore`): its source and the processor keeping it. */
export interface GlobalStoreDescription {
  /** Numbered with the sub-topologies; it generates no tasks. */
  readonly id: number
  readonly source: Extract<NodeDescription, { readonly type: 'source' }>
  readonly processor: Extract<NodeDescription, { readonly type: 'processor' }>
}

export class TopologyDescription {
  readonly subtopologies: readonly SubtopologyDescription[]
  /** In id order. */
  readonly globalStores: readonly GlobalStoreDescription[]

  /** @internal built by `Topology.describe()`. */
  constructor(definition: TopologyDefinition) {
    this.subtopologies = definition.subtopologies().map((s) => describeSubtopology(s.id, s.nodes))
    const ids = definition.globalStoreIds()
    this.globalStores = [...definition.globalStores.values()]
      .map((g) => describeGlobalStore(ids.get(g.store.name) ?? -1, g))
      .sort((a, b) => a.id - b.id)
  }

  toString(): string {
    const parts = [
      ...this.subtopologies.map((s) => ({ id: s.id, text: `Sub-topology: ${s.id}\n${s.nodes.map((n) => `    ${nodeToString(n)}\n`).join('')}\n` })),
      ...this.globalStores.map((g) => ({
        id: g.id,
        text: `Sub-topology: ${g.id} for global store (will not generate tasks)\n    ${nodeToString(g.source)}\n    ${nodeToString(g.processor)}\n`,
      })),
    ]
    return `Topologies:\n ${parts
      .sort((a, b) => a.id - b.id)
      .map((p) => `  ${p.text}`)
      .join('')}`
  }
}

function describeSubtopology(id: number, specs: readonly NodeSpec[]): SubtopologyDescription {
  const children = new Map<string, string[]>()
  for (const spec of specs) children.set(spec.name, [])
  for (const spec of specs) {
    if (spec.kind === 'source') continue
    for (const parent of spec.parents) children.get(parent)?.push(spec.name)
  }
  const sizes = new Map<string, number>()
  const subtreeSize = (name: string): number => {
    const seen = new Set<string>()
    const stack = [name]
    while (stack.length > 0) {
      const n = stack.pop() as string
      if (seen.has(n)) continue
      seen.add(n)
      stack.push(...(children.get(n) ?? []))
    }
    return seen.size
  }
  for (const spec of specs) sizes.set(spec.name, subtreeSize(spec.name))
  const order = (a: string, b: string): number => {
    const bySize = (sizes.get(b) ?? 0) - (sizes.get(a) ?? 0)
    return bySize !== 0 ? bySize : a < b ? -1 : a > b ? 1 : 0
  }
  const nodes: NodeDescription[] = specs.map((spec) => {
    const successors = [...(children.get(spec.name) ?? [])].sort(order)
    const predecessors = spec.kind === 'source' ? [] : [...spec.parents].sort(order)
    switch (spec.kind) {
      case 'source':
        return { type: 'source', name: spec.name, topics: spec.topics, pattern: spec.pattern?.source, successors, predecessors }
      case 'processor':
        return { type: 'processor', name: spec.name, stores: spec.stores, successors, predecessors }
      case 'sink':
        return typeof spec.topic === 'string'
          ? { type: 'sink', name: spec.name, topic: spec.topic, extractor: undefined, successors, predecessors }
          : { type: 'sink', name: spec.name, topic: undefined, extractor: spec.topic.name || 'anonymous', successors, predecessors }
    }
  })
  nodes.sort((a, b) => order(a.name, b.name))
  return { id, nodes }
}

function describeGlobalStore(id: number, spec: GlobalStoreSpec): GlobalStoreDescription {
  const { source, processor } = spec
  return {
    id,
    source: { type: 'source', name: source.name, topics: source.topics, pattern: undefined, successors: [processor.name], predecessors: [] },
    processor: { type: 'processor', name: processor.name, stores: processor.stores, successors: [], predecessors: [source.name] },
  }
}

/** Java's `Collection.toString()`: `[a, b]`. */
const list = (items: readonly string[]): string => `[${items.join(', ')}]`
/** Kafka's `nodeNames`: comma-separated, or `none`. */
const names = (items: readonly string[]): string => (items.length === 0 ? 'none' : items.join(', '))

function nodeToString(node: NodeDescription): string {
  switch (node.type) {
    case 'source':
      return `Source: ${node.name} (topics: ${node.pattern ?? list(node.topics)})\n      --> ${names(node.successors)}`
    case 'processor':
      return `Processor: ${node.name} (stores: ${list(node.stores)})\n      --> ${names(node.successors)}\n      <-- ${names(node.predecessors)}`
    case 'sink':
      return `Sink: ${node.name} (${node.topic !== undefined ? `topic: ${node.topic}` : `extractor class: ${node.extractor}`})\n      <-- ${names(node.predecessors)}`
  }
}
