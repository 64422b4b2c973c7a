/**
 * The partitioner SPI: chooses a partition for a record that has no explicit partition.
 *
 * An explicit `record.partition` always wins and is handled by the producer before a
 * partitioner is consulted (as in the Java `KafkaProducer.partition`); partitioners never see
 * such records.
 */

/** What a partitioner sees of a record. Producers may reuse one object across calls. */
export interface PartitionerInput {
  topic: string
  /** Serialized key; `null` for a null key. An empty key is a key (it is hashed). */
  key: Uint8Array | null
  value: Uint8Array | null
  /** All partitions of the topic (Kafka hashes over the total count, not the available ones). */
  partitionCount: number
}

/**
 * Returns a partition in `[0, partitionCount)`. Called once per record on the producer's hot
 * path: implementations must be synchronous and should not allocate.
 */
export type Partitioner = (input: PartitionerInput) => number
