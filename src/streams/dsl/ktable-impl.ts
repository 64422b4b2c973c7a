/** The `KTable` implementation: its node forwards `Change`s; `toStream()` turns them into a stream. */
import type { Serde } from '../../serdes/index.js'
import type { Processor } from '../processor/processor.js'
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
}
