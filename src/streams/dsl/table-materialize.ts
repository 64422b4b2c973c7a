/**
 * Adds a table's store and the processor that keeps it (`stream.toTable()`, `builder.table()`).
 * The store holds timestamped values (Kafka's timestamped key-value store format) and has a
 * changelog unless `logging: false`.
 */
import type { Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import type { Processor } from '../processor/processor.js'
import { Stores, type StoreSpec } from '../state/stores.js'
import { valueAndTimestampSerde } from '../state/value-and-timestamp.js'
import type { InternalStreamsBuilder } from './internal-builder.js'
import type { KStream, KTable } from './kstream.js'
import { KTableImpl } from './ktable-impl.js'
import { tableSourceProcessor } from './operators/table-source.js'
import type { Materialized } from './options.js'
import type { StreamState } from './stream-state.js'

export interface TableMaterialization<K, V> {
  readonly builder: InternalStreamsBuilder
  readonly parent: string
  readonly processorName: string
  readonly storeName: string
  readonly key: Serde<K> | undefined
  readonly value: Serde<V> | undefined
  readonly materialized: Materialized<K, V>
  readonly newStream: <K2, V2>(state: StreamState<K2, V2>) => KStream<K2, V2>
}

export function materializeTable<K, V>(m: TableMaterialization<K, V>): KTable<K, V> {
  const key = m.materialized.key ?? m.key
  const value = m.materialized.value ?? m.value
  if (key === undefined || value === undefined) {
    throw streamsError('STREAMS_TOPOLOGY_INVALID', `table ${m.storeName} needs key and value serdes: an operator upstream changed a type; pass { key, value }`, { store: m.storeName })
  }
  m.builder.addStateStore({
    ...Stores.keyValue({
      name: m.storeName,
      key,
      value: valueAndTimestampSerde(value),
      backend: m.materialized.backend,
      logging: m.materialized.logging,
      caching: m.materialized.caching,
    }),
    timestamped: true,
  } as unknown as StoreSpec)
  m.builder.addProcessor({
    name: m.processorName,
    parents: [m.parent],
    processor: tableSourceProcessor<K, V>(m.storeName) as unknown as () => Processor<unknown, unknown, unknown, unknown>,
    stores: [m.storeName],
  })
  return new KTableImpl<K, V>({ builder: m.builder, node: m.processorName, keySerde: key, valueSerde: value, newStream: m.newStream })
}
