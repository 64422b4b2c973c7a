/** The `KTable` implementation: its node forwards `Change`s; `toStream()` turns them into a stream. */
import type { Serde } from '../../serdes/index.js'
import type { Processor, ProcessorSupplier } from '../processor/processor.js'
import type { Change } from './operators/aggregate.js'
import { tableFilterProcessor } from './operators/table-filter.js'
import { tableMapValuesProcessor } from './operators/table-map-values.js'
import { addSuppression } from './operators/suppress.js'
import type { SuppressOptions, Suppressed } from './suppressed.js'
import { NAME_PREFIX } from './internal-builder.js'
import type { KGroupedTable, KStream, KTable } from './kstream.js'
import type { TableState } from './stream-state.js'
import { tableToStreamProcessor } from './operators/table-to-stream.js'
import { KGroupedTableImpl } from './kgrouped-table-impl.js'
import type { Grouped, KeyValue, Named } from './options.js'

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

  groupBy<K2, V2>(selector: (key: K, value: V) => KeyValue<K2, V2>, grouped: Grouped<K2, V2> = {}): KGroupedTable<K2, V2> {
    return KGroupedTableImpl.groupBy(this.state, selector, grouped, (state) => new KTableImpl(state))
  }

  /** Holds back updates (see `Suppressed`); the result keeps this table's windows, and carries the buffer's serdes. */
  suppress(suppressed: Suppressed<K>, options: SuppressOptions<K, V> = {}): KTable<K, V> {
    const node = addSuppression(this.state, suppressed, options)
    return new KTableImpl<K, V>({ ...this.state, node, keySerde: options.key ?? this.state.keySerde, valueSerde: options.value ?? this.state.valueSerde })
  }

  private next<V2>(given: string | undefined, prefix: string, processor: ProcessorSupplier<K, Change<V>, K, Change<V2>>, valueSerde: Serde<V2> | undefined): KTable<K, V2> {
    const { builder, node, keySerde, newStream, windowed } = this.state
    const name = builder.nameOr(given, prefix)
    builder.addProcessor({ name, parents: [node], processor: processor as unknown as () => Processor<unknown, unknown, unknown, unknown>, stores: [] })
    return new KTableImpl<K, V2>({ builder, node: name, keySerde, valueSerde, newStream, windowed })
  }
}
