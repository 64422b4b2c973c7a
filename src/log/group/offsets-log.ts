/**
 * The seam between the group coordinator and the log: what the coordinator needs to keep
 * `__consumer_offsets`, so that nothing under `src/log/group` names the `Broker` class (the
 * broker builds one with {@link offsetsLogOf}; tests may build their own).
 */
import type { Clock } from '../clock.js'
import type { TopicPartition } from '../topic-partition.js'

/** The compacted internal topic holding committed offsets and group metadata (log-anchor §5.6). */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets'

/**
 * Kafka's settings for `__consumer_offsets`: compacted (the latest record per key is the state),
 * 100 MiB segments (`offsets.topic.segment.bytes`). Compression stays none: the records are tiny.
 */
export const CONSUMER_OFFSETS_TOPIC_CONFIGS: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'compact',
  'segment.bytes': '104857600',
})

export interface OffsetsLog {
  /** Timers of sessions and rebalances, and commit timestamps. */
  readonly clock: Clock
  /** Partitions of `__consumer_offsets`, or undefined while it does not exist. */
  offsetsTopicPartitions(): number | undefined
  /**
   * Creates `__consumer_offsets` with `partitions` partitions unless it exists; returns its
   * partition count. @throws `LOG_CLOSED`, `LOG_IO_ERROR`.
   */
  ensureOffsetsTopic(partitions: number): number
  /**
   * Appends one batch (encoded here, so trusted) synchronously — appends made one after another
   * get increasing offsets — and resolves once it is fsynced (group commit).
   * @throws (rejects) `LOG_IO_ERROR`, `LOG_CLOSED`, `LOG_CORRUPT_SEGMENT`.
   */
  appendDurable(tp: TopicPartition, batch: Buffer): Promise<unknown>
  /** Whole batches from the one holding `offset`, at least one. @throws `LOG_OFFSET_OUT_OF_RANGE`, `LOG_CORRUPT_SEGMENT`. */
  read(tp: TopicPartition, offset: number, maxBytes: number): Uint8Array
  /** @throws `LOG_CORRUPT_SEGMENT` when the partition failed to open. */
  offsets(tp: TopicPartition): { logStartOffset: number; logEndOffset: number }
  /** Partitions of a user topic, to validate commits. @throws `LOG_UNKNOWN_TOPIC`. */
  partitionCount(topic: string): number
  /** Where errors of writes nobody awaits go (a group emptied by a session expiry). */
  onBackgroundError(task: string, err: unknown): void
}

/** The broker methods {@link offsetsLogOf} adapts; `Broker` has them all. */
export interface OffsetsLogHost {
  hasTopic(topic: string): boolean
  createTopic(spec: { topic: string; partitions?: number; configs?: Readonly<Record<string, string>> }): unknown
  describeTopic(topic: string): { partitions: readonly unknown[] }
  appendDurable(tp: TopicPartition, batches: Uint8Array, options: { trusted?: boolean }): Promise<unknown>
  read(tp: TopicPartition, offset: number, maxBytes: number): Uint8Array
  offsets(tp: TopicPartition): { logStartOffset: number; logEndOffset: number }
}

/** The {@link OffsetsLog} over a broker (structurally typed: no import of `Broker` here). */
export function offsetsLogOf(
  host: OffsetsLogHost,
  clock: Clock,
  onBackgroundError: (task: string, err: unknown) => void,
): OffsetsLog {
  const partitionsOf = (topic: string): number => host.describeTopic(topic).partitions.length
  return {
    clock,
    offsetsTopicPartitions: () => (host.hasTopic(CONSUMER_OFFSETS_TOPIC) ? partitionsOf(CONSUMER_OFFSETS_TOPIC) : undefined),
    ensureOffsetsTopic: (partitions) => {
      if (!host.hasTopic(CONSUMER_OFFSETS_TOPIC)) {
        host.createTopic({ topic: CONSUMER_OFFSETS_TOPIC, partitions, configs: CONSUMER_OFFSETS_TOPIC_CONFIGS })
      }
      return partitionsOf(CONSUMER_OFFSETS_TOPIC)
    },
    appendDurable: (tp, batch) => host.appendDurable(tp, batch, { trusted: true }),
    read: (tp, offset, maxBytes) => host.read(tp, offset, maxBytes),
    offsets: (tp) => host.offsets(tp),
    partitionCount: partitionsOf,
    onBackgroundError,
  }
}
