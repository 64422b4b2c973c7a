/**
 * The nodes of a repartition (Kafka `createRepartitionedSource`): a filter dropping null keys, a
 * sink writing the internal topic `<base>-repartition`, and a source reading it back. Kafka burns
 * three counter values (sink, filter, source) whether or not the names are used, so every later
 * generated name matches a Java app's.
 */
import type { Serde } from '../../serdes/index.js'
import type { Processor } from '../processor/processor.js'
import type { StreamPartitioner } from '../topology/node-spec.js'
import { NAME_PREFIX, type InternalStreamsBuilder } from './internal-builder.js'
import { filterProcessor } from './operators/filter.js'

const REPARTITION_TOPIC_SUFFIX = '-repartition'

export interface RepartitionNodes {
  readonly builder: InternalStreamsBuilder
  readonly parent: string
  /** The topic's base name (`<base>-repartition`). */
  readonly base: string
  /** Whether `base` was given by the user: then the nodes are named after the topic, not generated. */
  readonly named: boolean
  readonly key: Serde<unknown>
  readonly value: Serde<unknown>
  readonly partitions: number | undefined
  readonly partitioner: StreamPartitioner<unknown, unknown> | undefined
}

/** Adds the nodes; returns the name of the source reading the repartition topic. */
export function addRepartitionNodes(r: RepartitionNodes): string {
  const { builder } = r
  const topic = r.base.endsWith(REPARTITION_TOPIC_SUFFIX) ? r.base : `${r.base}${REPARTITION_TOPIC_SUFFIX}`
  const generated = { sink: builder.newName(NAME_PREFIX.sink), filter: builder.newName(NAME_PREFIX.filter), source: builder.newName(NAME_PREFIX.source) }
  const filterName = r.named ? `${topic}-filter` : generated.filter
  const sinkName = r.named ? `${topic}-sink` : generated.sink
  const sourceName = r.named ? `${topic}-source` : generated.source
  builder.addInternalTopic({ name: topic, kind: 'repartition', partitions: r.partitions })
  const dropNullKeys = filterProcessor<unknown, unknown>((k) => k !== null && k !== undefined, false) as unknown as () => Processor<unknown, unknown, unknown, unknown>
  builder.addProcessor({ name: filterName, parents: [r.parent], processor: dropNullKeys, stores: [] })
  builder.addSink({ name: sinkName, parents: [filterName], topic, key: r.key, value: r.value, partitioner: r.partitioner })
  builder.addSource({ name: sourceName, topics: [topic], key: r.key, value: r.value })
  return sourceName
}
