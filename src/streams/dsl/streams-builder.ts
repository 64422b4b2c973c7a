/**
 * The entry point of the DSL (Kafka `StreamsBuilder`): sources are declared here, operators on the
 * streams they return, and `build()` compiles everything into a `Topology`.
 *
 * ```ts
 * const builder = new StreamsBuilder()
 * builder.stream('orders', { key: Serdes.string(), value: Serdes.json<Order>() })
 *   .filter((key, order) => order.qty > 0)
 *   .to('valid-orders')
 * const topology = builder.build()
 * ```
 */
import { Serdes, type Serde } from '../../serdes/index.js'
import { streamsError } from '../errors.js'
import type { TimestampExtractor } from '../topology/node-spec.js'
import type { Topology } from '../topology/topology.js'
import { Stores, type AnyStoreSpec, type StoreSpec } from '../state/stores.js'
import { valueAndTimestampSerde } from '../state/value-and-timestamp.js'
import type { Processor } from '../processor/processor.js'
import { GlobalKTableImpl, type GlobalKTable } from './global-ktable.js'
import { tableSourceProcessor } from './operators/table-source.js'
import { InternalStreamsBuilder, NAME_PREFIX } from './internal-builder.js'
import type { KStream, KTable } from './kstream.js'
import { KStreamImpl, newStream } from './kstream-impl.js'
import { materializeTable } from './table-materialize.js'
import type { Consumed, Materialized } from './options.js'

export class StreamsBuilder {
  readonly #internal = new InternalStreamsBuilder()

  /**
   * A stream of the records of `topics`: one topic, several (read together, in timestamp order per
   * task), or every topic whose whole name matches a RegExp. Serdes default to `Serdes.bytes()`.
   * @throws `STREAMS_TOPOLOGY_INVALID` for an empty topic list or a topic read twice.
   */
  stream<K = Uint8Array, V = Uint8Array>(topics: string | readonly string[] | RegExp, consumed: Consumed<K, V> = {}): KStream<K, V> {
    const builder = this.#internal
    const name = builder.nameOr(consumed.name, NAME_PREFIX.source)
    const key = consumed.key ?? (Serdes.bytes() as unknown as Serde<K>)
    const value = consumed.value ?? (Serdes.bytes() as unknown as Serde<V>)
    const list = topics instanceof RegExp ? undefined : typeof topics === 'string' ? [topics] : [...topics]
    if (list !== undefined && (list.length === 0 || list.some((t) => typeof t !== 'string' || t.length === 0))) {
      throw streamsError('STREAMS_TOPOLOGY_INVALID', `stream() takes a topic name, a non-empty list of names, or a RegExp`, { node: name })
    }
    builder.addSource({
      name,
      ...(list === undefined ? { pattern: topics as RegExp } : { topics: list }),
      key: key as Serde<unknown>,
      value: value as Serde<unknown>,
      timestampExtractor: consumed.timestampExtractor as TimestampExtractor<unknown, unknown> | undefined,
    })
    return new KStreamImpl<K, V>({ builder, node: name, keySerde: key, valueSerde: value, repartitionRequired: false })
  }

  /**
   * A table of `topic` (Kafka `builder.table`): each record an upsert of its key, a `null` value a
   * deletion, materialized in a store (`materialized.name`, else `<topic>-STATE-STORE-<n>`) with
   * its own changelog. Serdes default to `Serdes.bytes()`.
   */
  table<K = Uint8Array, V = Uint8Array>(topic: string, consumed: Consumed<K, V> = {}, materialized: Materialized<K, V> = {}): KTable<K, V> {
    const builder = this.#internal
    const storeName = materialized.name ?? builder.newStoreName(`${topic}-`)
    const stream = this.stream<K, V>(topic, consumed) as KStreamImpl<K, V>
    return materializeTable({
      builder,
      parent: stream.state.node,
      processorName: builder.newName(NAME_PREFIX.tableSource),
      storeName,
      key: stream.state.keySerde,
      value: stream.state.valueSerde,
      materialized,
      newStream,
    })
  }

  /**
   * A table of every partition of `topic`, held whole by every app instance (Kafka
   * `builder.globalTable`): each record an upsert of its key, a `null` value a deletion, a `null`
   * key skipped. The app reads the topic to its end before any task processes, then follows it
   * while it runs; the topic is the store's changelog (logging is always off). Serdes default to
   * `Serdes.bytes()`; the store (`materialized.name`, else `<topic>-STATE-STORE-<n>`) is RocksDB
   * unless `materialized.backend` says otherwise. Nodes are named as Kafka names them:
   * `consumed.name` names the processor and `<name>-source` the source.
   * @throws `STREAMS_TOPOLOGY_INVALID` for an invalid store name or a name used twice; at
   *   `build()`, for a topic another source reads.
   */
  globalTable<K = Uint8Array, V = Uint8Array>(topic: string, consumed: Consumed<K, V> = {}, materialized: Materialized<K, V> = {}): GlobalKTable<K, V> {
    const builder = this.#internal
    const storeName = materialized.name ?? builder.newStoreName(`${topic}-`)
    const sourceName = consumed.name === undefined ? builder.newName(NAME_PREFIX.source) : `${consumed.name}-source`
    const processorName = builder.nameOr(consumed.name, NAME_PREFIX.tableSource)
    const read = { key: consumed.key ?? (Serdes.bytes() as unknown as Serde<K>), value: consumed.value ?? (Serdes.bytes() as unknown as Serde<V>) }
    const key = materialized.key ?? read.key
    const value = materialized.value ?? read.value
    const store = Stores.keyValue({ name: storeName, key, value: valueAndTimestampSerde(value), backend: materialized.backend, logging: false, caching: materialized.caching })
    builder.addGlobalStore({
      store: { ...store, timestamped: true } as unknown as StoreSpec,
      sourceName,
      topic,
      key: read.key as Serde<unknown>,
      value: read.value as Serde<unknown>,
      timestampExtractor: consumed.timestampExtractor as TimestampExtractor<unknown, unknown> | undefined,
      processorName,
      processor: tableSourceProcessor<K, V>(storeName) as unknown as () => Processor<unknown, unknown, never, never>,
    })
    return new GlobalKTableImpl<K, V>({ storeName, keySerde: key, valueSerde: value })
  }

  /**
   * Adds a state store (from `Stores`) for processors of `process()`/`processValues()` that name
   * it in `{ stores }`. @throws `STREAMS_TOPOLOGY_INVALID` for a name used twice.
   */
  addStateStore<K, V>(spec: AnyStoreSpec<K, V>): this {
    this.#internal.addStateStore(spec as unknown as StoreSpec)
    return this
  }

  /** The topology of everything declared so far. Each call returns a new `Topology`. */
  build(): Topology {
    return this.#internal.build()
  }
}
