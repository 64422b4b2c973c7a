/**
 * The admin side of the `LogClient` contract (DESIGN.md §1): Kafka's `Admin` client in
 * async/await form, over topics, configs, offsets and consumer groups. The embedded broker's
 * implementation is `EmbeddedAdmin`; a Kafka-protocol client implements the same interface.
 *
 * Batch calls validate every entry before changing anything where the log allows it (topic
 * names, counts, configs); an error names the offending entry in `details`.
 */
import type { TopicPartition } from '../../topic-partition.js'
import type { TopicConfigEntry, TopicConfigOverrides } from '../../topic-config.js'
import type { CommittedOffset, OffsetToCommit, TopicPartitionOffset } from '../consumer/consumer-api.js'

export interface NewTopicSpec {
  readonly topic: string
  /** Default 1. */
  readonly partitions?: number
  /** Kafka-named topic config overrides (`retention.ms`, `cleanup.policy`, …). */
  readonly configs?: TopicConfigOverrides
}

export interface TopicPartitionInfo {
  readonly partition: number
  readonly logStartOffset: number
  readonly logEndOffset: number
  /** Set when the partition failed to open (e.g. `LOG_CORRUPT_SEGMENT`); the others still work. */
  readonly error?: { readonly code: string; readonly message: string }
}

export interface TopicInfo {
  readonly topic: string
  /** Kafka's topic id (base64 UUID). */
  readonly topicId: string
  /** Internal topics (`__consumer_offsets`, `__transaction_state`) are hidden from `listTopics` by default. */
  readonly isInternal: boolean
  readonly partitions: TopicPartitionInfo[]
}

export interface NewPartitionsSpec {
  readonly topic: string
  /** The new total number of partitions (partitions only grow). */
  readonly count: number
}

export interface TopicConfigs {
  readonly topic: string
  /** Every config with its value, and whether it is Kafka's default. */
  readonly entries: TopicConfigEntry[]
}

/**
 * Incremental config changes (Kafka IncrementalAlterConfigs SET/DELETE): a value sets the
 * override, `null` removes it (back to the broker default).
 */
export interface TopicConfigChanges {
  readonly topic: string
  readonly configs: Readonly<Record<string, string | number | null>>
}

/** Kafka's classic group states (log-anchor §5.1). */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export interface GroupListing {
  readonly groupId: string
  readonly state: GroupState
  /** `consumer` for consumer groups; `''` for a group that only has committed offsets. */
  readonly protocolType: string
}

export interface GroupMemberDescription {
  readonly memberId: string
  readonly groupInstanceId: string | undefined
  readonly clientId: string
  readonly clientHost: string
  /** Topics of the member's subscription (parsed from its JoinGroup metadata). */
  readonly subscription: string[]
  /** The member's partitions in the current generation (parsed from its SyncGroup assignment). */
  readonly assignment: TopicPartition[]
}

/** A committed offset with the partition's end and the lag between them. */
export interface GroupOffsetLag {
  readonly topic: string
  readonly partition: number
  readonly committedOffset: number
  readonly metadata: string
  readonly logEndOffset: number
  /** `logEndOffset − committedOffset`, never negative. */
  readonly lag: number
  /** The member currently assigned the partition, if any. */
  readonly memberId: string | undefined
}

export interface GroupDescription {
  readonly groupId: string
  readonly state: GroupState
  readonly protocolType: string
  /** The assignor chosen for the current generation (`''` when none). */
  readonly protocol: string
  readonly generationId: number
  readonly leaderId: string | undefined
  readonly members: GroupMemberDescription[]
  /** Every committed offset of the group with its lag, ordered by topic then partition. */
  readonly offsets: GroupOffsetLag[]
}

/** Which offset `listOffsets` looks up: Kafka's EARLIEST (−2), LATEST (−1), or by timestamp. */
export type OffsetSpec = 'earliest' | 'latest' | { readonly timestampMs: number }

export interface ListOffsetsQuery {
  readonly topic: string
  readonly partition: number
  readonly spec: OffsetSpec
}

export interface ListedOffset {
  readonly topic: string
  readonly partition: number
  /** `null` when a timestamp query finds no record at or after the timestamp. */
  readonly offset: number | null
  /** The found record's timestamp for timestamp queries; `null` for earliest/latest or none found. */
  readonly timestampMs: number | null
}

export interface DeletedRecords {
  readonly topic: string
  readonly partition: number
  /** The partition's log start offset after the deletion. */
  readonly lowWatermark: number
}

export interface ListTopicsOptions {
  /** Include `__consumer_offsets` and other internal topics. Default false. */
  readonly includeInternal?: boolean
}

/**
 * Administers a log: topics, configs, records, offsets and consumer groups. Holds no resources
 * beyond its client; `close()` only makes later calls fail with `LOG_CLOSED`.
 */
export interface Admin {
  /**
   * Creates topics; all names and configs are validated first.
   * @throws `LOG_INVALID_TOPIC`, `LOG_TOPIC_EXISTS`, `LOG_INVALID_PARTITIONS`, `CONFIG_INVALID`.
   */
  createTopics(topics: readonly NewTopicSpec[]): Promise<void>
  /** @throws `LOG_UNKNOWN_TOPIC` (nothing deleted when any is unknown). */
  deleteTopics(topics: readonly string[]): Promise<void>
  listTopics(options?: ListTopicsOptions): Promise<string[]>
  /** @throws `LOG_UNKNOWN_TOPIC`. */
  describeTopics(topics: readonly string[]): Promise<TopicInfo[]>
  /** @throws `LOG_UNKNOWN_TOPIC`, `LOG_INVALID_PARTITIONS` (a shrink or no growth). */
  createPartitions(specs: readonly NewPartitionsSpec[]): Promise<void>
  /** @throws `LOG_UNKNOWN_TOPIC`. */
  describeConfigs(topics: readonly string[]): Promise<TopicConfigs[]>
  /** @throws `LOG_UNKNOWN_TOPIC`, `CONFIG_INVALID` (nothing changes for that topic). */
  alterConfigs(changes: readonly TopicConfigChanges[]): Promise<void>
  /** Consumer groups known to the log (with members, or with committed offsets only). */
  listGroups(): Promise<GroupListing[]>
  /** @throws `LOG_INVALID_GROUP_ID`; an unknown group is described as `Dead` with no members. */
  describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]>
  /** The group's committed offsets (default: all of them). */
  listGroupOffsets(groupId: string, partitions?: readonly TopicPartition[]): Promise<CommittedOffset[]>
  /**
   * Overwrites committed offsets of a group that has no active members (Kafka
   * alterConsumerGroupOffsets). @throws `LOG_GROUP_NOT_EMPTY`, `LOG_UNKNOWN_TOPIC`,
   * `LOG_UNKNOWN_PARTITION`, `LOG_INVALID_ARGUMENT` (negative offset).
   */
  alterGroupOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void>
  /** Deletes groups and their offsets. @throws `LOG_UNKNOWN_GROUP`, `LOG_GROUP_NOT_EMPTY`. */
  deleteGroups(groupIds: readonly string[]): Promise<void>
  /** @throws `LOG_UNKNOWN_TOPIC`, `LOG_UNKNOWN_PARTITION`. */
  listOffsets(queries: readonly ListOffsetsQuery[]): Promise<ListedOffset[]>
  /**
   * Moves each partition's log start offset up to `offset` (Kafka DeleteRecords; `-1` = the log
   * end). @throws `LOG_OFFSET_OUT_OF_RANGE` past the log end.
   */
  deleteRecords(before: readonly TopicPartitionOffset[]): Promise<DeletedRecords[]>
  close(): Promise<void>
}
