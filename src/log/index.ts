/**
 * `millrace/log` — the embedded, Kafka-compatible partitioned log.
 *
 * Exports are listed by name; everything else under `src/log` is internal and may change.
 */
export { Broker } from './broker.js'
export type {
  BrokerOptions,
  BrokerAppendOptions,
  NewTopic,
  TopicDescription,
  PartitionDescription,
} from './broker.js'
export type { AppendResult } from './storage/partition-log.js'
export type { RecoveryReport } from './storage/partition-recovery.js'
export type { TimestampOffset } from './storage/timestamp-lookup.js'

export { MillraceError, isMillraceError } from './errors.js'
export type { LogErrorCode, ConfigErrorCode, LogError, ConfigError } from './errors.js'

export { systemClock } from './clock.js'
export type { Clock, ClockTimer } from './clock.js'
export type { TopicPartition } from './topic-partition.js'

export { Reader } from './binary/reader.js'
export { Writer } from './binary/writer.js'

export { RecordBatchBuilder, encodeRecordBatch } from './record/batch-builder.js'
export type { RecordBatchBuilderOptions } from './record/batch-builder.js'
export { RecordBatch, iterateBatches, decodeBatches } from './record/record-batch.js'
export type { RecordBatchOptions, DecodeBatchesOptions, RecordVisitor } from './record/record-batch.js'
export { LogRecord } from './record/log-record.js'
export type { RecordInput, RecordHeader } from './record/record.js'
export { encodeControlBatch, readControlRecord } from './record/control-record.js'
export type { ControlRecordType, ControlBatchInput, ControlRecord } from './record/control-record.js'
export type { CompressionType, TimestampType } from './record/record-batch-v2.js'
export { isCompressionAvailable } from './record/compression/index.js'

export { NodeFileIO } from './storage/node-file-io.js'
export type { FileIO, FileHandle, FileLock, OpenOptions } from './storage/file-io.js'

export { TOPIC_CONFIG_DEFAULTS, TOPIC_CONFIG_NAMES, resolveTopicConfig, ConfigInvalidError } from './topic-config.js'
export type {
  TopicConfig,
  TopicConfigOverrides,
  TopicConfigEntry,
  CleanupPolicy,
  MessageTimestampType,
  ConfigProblem,
} from './topic-config.js'
export { validateTopicName, isValidTopicName } from './topic-name.js'

export type { LogClient } from './client/log-client.js'
export type { Producer, SendOptions } from './client/producer/producer-api.js'
export type {
  Consumer,
  ConsumerRecord,
  ConsumerPollOptions,
  ConsumerCloseOptions,
  ConsumerGroupMetadata,
  SubscribeOptions,
  RebalanceListener,
  TopicPartitionOffset,
  OffsetToCommit,
  CommittedOffset,
  TopicPartitionTimestamp,
  OffsetAndTimestamp,
} from './client/consumer/consumer-api.js'
export type { ConsumerConfig, ConsumerConfigInput, AutoOffsetReset, IsolationLevel } from './client/consumer/consumer-config.js'
export type {
  Admin,
  NewTopicSpec,
  TopicInfo,
  TopicPartitionInfo,
  NewPartitionsSpec,
  TopicConfigs,
  TopicConfigChanges,
  GroupState,
  GroupListing,
  GroupDescription,
  GroupMemberDescription,
  GroupOffsetLag,
  OffsetSpec,
  ListOffsetsQuery,
  ListedOffset,
  DeletedRecords,
  ListTopicsOptions,
} from './client/admin/admin-api.js'
export type {
  PartitionAssignor,
  AssignmentCluster,
  MemberSubscription,
  MemberAssignment,
  RebalanceProtocol,
  BuiltInAssignorName,
} from './client/assignors/assignor.js'
export type { ProducerConfig, ProducerConfigInput, ProducerAcks } from './client/producer/producer-config.js'
export type { ProducerRecord } from './client/producer/producer-record.js'
export type { RecordMetadata } from './client/producer/producer-batch.js'
export { murmur2, toPositive, createDefaultPartitioner } from './client/partitioner/index.js'
export type { Partitioner, PartitionerInput, DefaultPartitioner, DefaultPartitionerInput } from './client/partitioner/index.js'
