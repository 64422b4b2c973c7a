/** The `KTable` implementation: its node forwards `Change`s; `toStream()` turns them into a stream. */
import type { Serde } from '../../serdes/index.js'
import type { Processor, ProcessorSupplier } from '../processor/processor.js'
import type { Change } from './operators/aggregate.js'
import { tableFilterProcessor } from './operators/table-filter.js'
import { tableMapValuesProcessor } from './operators/table-map-values.js'
import { NAME_PREFIX, type InternalStreamsBuilder } from './internal-builder.js'
import type { KStream, KTable } from './kstream.js'
import type { StreamState } from './stream-state.js'
import { tableToStreamProcessor } from './operators/table-to-stream.js'
import type { Named } from './options.js'

export interface TableState<K, V> {
  readonly builder: InternalStreamsBuilder
  /** The node forwarding the table's changes. */
  readonly node: string
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  /** Makes the stream `toStream()` returns (passed in: the table does not import the stream class). */
  readonly newStream: <K2, V2>(state: StreamState<K2, V2>) => KStream<K2, V2>
}

export class KTableImpl<K, V> implements KTable<K, V> {
  constructor(readonly state: TableState<K, V>) {}

  toStream(options?: Named): KStream<K, V> {
    const { builder, node, keySerde, valueSerde, newStream } = this.state
    const name = builder.nameOr(options?.name, NAME_PREFIX.toStream)
    builder.addProcessor({ name, parents: [node], processor: tableToStreamProcessor<K, V>() as unknown as () => Processor<unknown, unknown, unknown, unknown>, stores: [] })
    // A deletion reaches the stream as a null value: the value type stays V, as in Kafka.
    return newStream<K, V>({ builder, node: name, keySerde, valueSerde, repartitionRequired: false })
  }

  filter(predicate: (key: K, value: V) => boolean, options?: Named): KTable<K, V> {
    return this.next(options?.name, NAME_PREFIX.tableFilter, tableFilterProcessor(predicate, false), this.state.valueSerde)
  }

  filterNot(predicate: (key: K, value: V) => boolean, options?: Named): KTable<K, V> {
    return this.next(options?.name, NAME_PREFIX.tableFilter, tableFilterProcessor(predicate, true), this.state.valueSerde)
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2, options?: Named): KTable<K, V2> {
    return this.next<V2>(options?.name, NAME_PREFIX.tableMapValues, tableMapValuesProcessor(mapper), undefined)
  }

  private next<V2>(given: string | undefined, prefix: string, processor: ProcessorSupplier<K, Change<V>, K, Change<V2>>, valueSerde: Serde<V2> | undefined): KTable<K, V2> {
    const { builder, node, keySerde, newStream } = this.state
    const name = builder.nameOr(given, prefix)
    builder.addProcessor({ name, parents: [node], processor: processor as unknown as () => Processor<unknown, unknown, unknown, unknown>, stores: [] })
    return new KTableImpl<K, V2>({ builder, node: name, keySerde, valueSerde, newStream })
  }
}
