/**
 * The seam between the embedded broker and its transaction coordinator: the
 * {@link TransactionLog} over the broker's public methods (so nothing under `src/log/txn` names
 * the `Broker` class), and the producer's view of the coordinator.
 *
 * A marker for a `__consumer_offsets` partition is also the group coordinator's cue: once the
 * marker is durable, the transaction's pending offsets there are committed or dropped.
 */
import type { Clock } from './clock.js'
import type { ConsumerGroupMetadata } from './client/consumer/consumer-api.js'
import type { ProducerTransactionLog } from './client/producer/transaction-manager.js'
import { CONSUMER_OFFSETS_TOPIC } from './group/offsets-log.js'
import type { GroupCoordinator } from './group/group-coordinator.js'
import { encodeControlBatch } from './record/control-record.js'
import type { TopicPartition } from './topic-partition.js'
import {
  TRANSACTION_STATE_TOPIC,
  TRANSACTION_STATE_TOPIC_CONFIGS,
  type TransactionCoordinator,
  type TransactionLog,
} from './txn/transaction-coordinator.js'

/** The broker methods {@link transactionLogOf} adapts; `Broker` has them all. */
export interface TransactionLogHost {
  hasTopic(topic: string): boolean
  createTopic(spec: { topic: string; partitions?: number; configs?: Readonly<Record<string, string>> }): unknown
  partitionCount(topic: string): number
  appendDurable(tp: TopicPartition, batches: Uint8Array, options: { trusted?: boolean }): Promise<unknown>
  read(tp: TopicPartition, offset: number, maxBytes: number): Uint8Array
  offsets(tp: TopicPartition): { logStartOffset: number; logEndOffset: number }
  flush(tp: TopicPartition): Promise<number>
  initProducerId(): { producerId: bigint; producerEpoch: number }
  groupCoordinator(): GroupCoordinator
}

export function transactionLogOf(host: TransactionLogHost, clock: Clock, onBackgroundError: (task: string, err: unknown) => void): TransactionLog {
  return {
    clock,
    stateTopicPartitions: () => (host.hasTopic(TRANSACTION_STATE_TOPIC) ? host.partitionCount(TRANSACTION_STATE_TOPIC) : undefined),
    ensureStateTopic: (partitions) => {
      if (!host.hasTopic(TRANSACTION_STATE_TOPIC)) {
        host.createTopic({ topic: TRANSACTION_STATE_TOPIC, partitions, configs: TRANSACTION_STATE_TOPIC_CONFIGS })
      }
      return host.partitionCount(TRANSACTION_STATE_TOPIC)
    },
    appendDurable: (tp, batch) => host.appendDurable(tp, batch, { trusted: true }),
    read: (tp, offset, maxBytes) => host.read(tp, offset, maxBytes),
    offsets: (tp) => host.offsets(tp),
    flush: (tp) => host.flush(tp),
    allocateProducerId: () => host.initProducerId().producerId,
    writeMarker: async (tp, marker) => {
      const batch = encodeControlBatch({ ...marker, timestampMs: clock.nowMs() })
      await host.appendDurable(tp, batch, { trusted: true })
      if (tp.topic === CONSUMER_OFFSETS_TOPIC) host.groupCoordinator().completeTransaction(tp.partition, marker.producerId, marker.type === 'COMMIT')
    },
    offsetsPartitionFor: (groupId) => host.groupCoordinator().transactionalOffsetsPartition(groupId),
    onBackgroundError,
  }
}

/** The producer's transactional calls, answered by the broker's coordinators. */
export function producerTransactionLogOf(coordinator: () => TransactionCoordinator, groups: () => GroupCoordinator): ProducerTransactionLog {
  return {
    initProducerId: (transactionalId, timeoutMs) => coordinator().initProducerId(transactionalId, timeoutMs),
    addPartitions: (transactionalId, producer, tps) => coordinator().addPartitions(transactionalId, producer, tps),
    commitOffsets: async (transactionalId, producer, offsets, group: ConsumerGroupMetadata) => {
      await coordinator().addOffsets(transactionalId, producer, group.groupId)
      await groups().commitTransactionalOffsets({
        groupId: group.groupId,
        generationId: group.generationId,
        memberId: group.memberId,
        groupInstanceId: group.groupInstanceId,
        offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '' })),
        producerId: producer.producerId,
        producerEpoch: producer.producerEpoch,
      })
    },
    endTransaction: (transactionalId, producer, commit) => coordinator().endTransaction(transactionalId, producer, commit),
  }
}
