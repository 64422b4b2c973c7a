/** What streams, grouped streams and tables carry through the DSL (their node, serdes, and what operators downstream need to know). */
import type { Serde } from '../../serdes/index.js'
import type { InternalStreamsBuilder } from './internal-builder.js'
import type { KStream } from './kstream.js'

export interface StreamState<K, V> {
  readonly builder: InternalStreamsBuilder
  /** The node whose output this stream is. */
  readonly node: string
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly repartitionRequired: boolean
}

/** A grouped stream: the stream it groups, the name its repartition takes, and how to make streams. */
export interface GroupedState<K, V> extends StreamState<K, V> {
  readonly repartitionName: string | undefined
  readonly newStream: <K2, V2>(state: StreamState<K2, V2>) => KStream<K2, V2>
}

/** What a table carries through the DSL. */
export interface TableState<K, V> {
  readonly builder: InternalStreamsBuilder
  /** The node forwarding the table's changes. */
  readonly node: string
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  /** Makes the stream `toStream()` returns (passed in: the table does not import the stream class). */
  readonly newStream: <K2, V2>(state: StreamState<K2, V2>) => KStream<K2, V2>
  /** Set on a table of windowed results (and kept by key-preserving table operators): `suppress(untilWindowCloses)` reads it. */
  readonly windowed?: WindowedTableInfo
}

/** What a windowed table's producer tells operators downstream about its windows. */
export interface WindowedTableInfo {
  /** How long past a window's end stream time must be before the window is final (Kafka: the windows' grace period). */
  readonly graceMs: number
}
