/**
 * A task's instantiated processor graph: one {@link ProcessorNode} per topology node of the task's
 * sub-topology (or, in the test driver, of the whole topology), each with its own processor
 * instance from the node's supplier, linked to its children. Sources are nodes too: the task
 * builds a `Record` from the input and forwards it from the source node.
 */
import { streamsError } from '../errors.js'
import type { Processor } from '../processor/processor.js'
import type { NodeSpec, SinkNodeSpec, SourceNodeSpec } from '../topology/node-spec.js'

export class ProcessorNode {
  readonly children: ProcessorNode[] = []
  readonly childByName = new Map<string, ProcessorNode>()

  constructor(
    readonly name: string,
    readonly processor: Processor<unknown, unknown, unknown, unknown>,
    readonly stores: readonly string[],
  ) {}

  addChild(child: ProcessorNode): void {
    this.children.push(child)
    this.childByName.set(child.name, child)
  }
}

/** A source node with the topics it reads (already resolved to their real names). */
export interface SourceRuntime {
  readonly spec: SourceNodeSpec
  readonly node: ProcessorNode
}

export interface TaskGraph {
  /** Every node, parents before children (init order; close runs in reverse). */
  readonly nodes: readonly ProcessorNode[]
  readonly sources: readonly SourceRuntime[]
}

/** A source's node does nothing itself: the task forwards records from it. */
const SOURCE_PROCESSOR: Processor<unknown, unknown, unknown, unknown> = {
  process() {
    // Never called: the task forwards from the source node directly.
  },
}

/**
 * Instantiates `specs` (a sub-topology, in topology order): sinks get their processor from
 * `sinkProcessor`, processors from their supplier (a new instance per call, per task).
 */
export function buildTaskGraph(specs: readonly NodeSpec[], sinkProcessor: (spec: SinkNodeSpec) => Processor<unknown, unknown, unknown, unknown>): TaskGraph {
  const byName = new Map<string, ProcessorNode>()
  const nodes: ProcessorNode[] = []
  const sources: SourceRuntime[] = []
  for (const spec of specs) {
    let node: ProcessorNode
    switch (spec.kind) {
      case 'source':
        node = new ProcessorNode(spec.name, SOURCE_PROCESSOR, [])
        sources.push({ spec, node })
        break
      case 'processor':
        node = new ProcessorNode(spec.name, newProcessor(spec.name, spec.supplier), spec.stores)
        break
      case 'sink':
        node = new ProcessorNode(spec.name, sinkProcessor(spec), [])
        break
    }
    if (spec.kind !== 'source') for (const parent of spec.parents) byName.get(parent)?.addChild(node)
    byName.set(spec.name, node)
    nodes.push(node)
  }
  return { nodes, sources }
}

/** Processors already given to a task: a supplier must make a new one per task (state is per task). */
const inUse = new WeakSet<object>()

function newProcessor(node: string, supplier: () => Processor<unknown, unknown, unknown, unknown>): Processor<unknown, unknown, unknown, unknown> {
  const processor = supplier()
  if (processor === null || typeof processor !== 'object' || typeof processor.process !== 'function') {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `the supplier of ${node} must return a processor (an object with process())`, { node })
  }
  if (inUse.has(processor)) {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `the supplier of ${node} returned a processor it returned before: return a new one per call`, { node })
  }
  inUse.add(processor)
  return processor
}
