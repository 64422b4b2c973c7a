/** What a stream carries through the DSL (its node, serdes, whether a key change is pending). */
import type { Serde } from '../../serdes/index.js'
import type { InternalStreamsBuilder } from './internal-builder.js'

export interface StreamState<K, V> {
  readonly builder: InternalStreamsBuilder
  /** The node whose output this stream is. */
  readonly node: string
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
  readonly repartitionRequired: boolean
}
