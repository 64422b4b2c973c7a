/**
 * What the embedded admin needs from the log: the seam between `EmbeddedAdmin` and the broker,
 * so the admin never names the broker class (the broker builds the admin, and an import back
 * would be a cycle). The embedded `Broker` satisfies it structurally; the types below list only
 * the fields the admin reads, so a broker returning more still fits.
 *
 * Every method is synchronous: the admin validates a whole batch and then applies it without
 * yielding, so no other caller can change the topics in between.
 */
import type { TimestampOffset } from '../../storage/timestamp-lookup.js'
import type { TopicConfigEntry, TopicConfigOverrides } from '../../topic-config.js'
import type { TopicPartition } from '../../topic-partition.js'

/** A topic to create, as the log takes it. */
export interface AdminLogNewTopic {
  readonly topic: string
  readonly partitions?: number
  readonly configs?: TopicConfigOverrides
}

/** One partition of a described topic; logs that failed to open carry `error` (and offsets −1). */
export interface AdminLogPartition {
  readonly partition: number
  readonly logStartOffset: number
  readonly logEndOffset: number
  readonly error?: { readonly code: string; readonly message: string }
}

/** A described topic: the fields of the broker's `TopicDescription` the admin reads. */
export interface AdminLogTopicDescription {
  readonly topic: string
  readonly topicId: string
  readonly partitions: readonly AdminLogPartition[]
  /** Every supported config with its value, sorted by name. */
  readonly configs: readonly TopicConfigEntry[]
}

/**
 * The log operations `EmbeddedAdmin` is built on (see the file comment). Implementations own
 * their data; the admin only calls them.
 */
export interface AdminLog {
  /**
   * Creates a topic with its partitions.
   * @throws `LOG_INVALID_TOPIC`, `LOG_TOPIC_EXISTS`, `LOG_INVALID_PARTITIONS`, `CONFIG_INVALID`, `LOG_CLOSED`.
   */
  createTopic(spec: AdminLogNewTopic): unknown
  /** @throws `LOG_UNKNOWN_TOPIC`, `LOG_CLOSED`. */
  deleteTopic(topic: string): void
  /** Every topic name, internal ones included, sorted. @throws `LOG_CLOSED`. */
  listTopics(): string[]
  hasTopic(topic: string): boolean
  /** @throws `LOG_UNKNOWN_TOPIC`, `LOG_CLOSED`. */
  describeTopic(topic: string): AdminLogTopicDescription
  /** Grows a topic to `totalPartitions`. @throws `LOG_UNKNOWN_TOPIC`, `LOG_INVALID_PARTITIONS`. */
  createPartitions(topic: string, totalPartitions: number): void
  /**
   * Sets (string or number) or removes (`null`) topic config overrides, validated as a whole.
   * @throws `LOG_UNKNOWN_TOPIC`, `CONFIG_INVALID`.
   */
  alterTopicConfigs(topic: string, changes: Readonly<Record<string, string | number | null>>): void
  /** @throws `LOG_UNKNOWN_TOPIC`, `LOG_UNKNOWN_PARTITION`, the partition's open error. */
  offsets(tp: TopicPartition): { logStartOffset: number; logEndOffset: number }
  /** The first record at or after `timestampMs`; undefined when every record is older. */
  offsetForTimestamp(tp: TopicPartition, timestampMs: number): TimestampOffset | undefined
  /** Moves the log start offset up to `offset`. @throws `LOG_OFFSET_OUT_OF_RANGE` past the log end. */
  deleteRecordsBefore(tp: TopicPartition, offset: number): void
}
