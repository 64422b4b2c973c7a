/**
 * The seams between the embedded broker and its clients: `Broker.producer()`, `consumer()` and
 * `admin()` hand each client an adapter built here over the broker's public methods, so the
 * clients never name the broker class (and the broker file stays about storage).
 */
import type { Clock } from './clock.js'
import type { ConsumerLog } from './client/consumer/consumer-log.js'
import type { ProducerLog } from './client/producer/producer.js'
import type { GroupCoordinatorApi } from './group/coordinator-api.js'
import type { AppendResult } from './storage/partition-log.js'
import type { TimestampOffset } from './storage/timestamp-lookup.js'
import type { TopicPartition } from './topic-partition.js'

/** The broker methods the adapters use (the `Broker` satisfies this structurally). */
export interface ClientHost {
  partitionCount(topic: string): number
  initProducerId(): { producerId: bigint; producerEpoch: number }
  listTopics(): string[]
  append(tp: TopicPartition, batches: Uint8Array, options: { trusted: boolean }): AppendResult
  appendDurable(tp: TopicPartition, batches: Uint8Array, options: { trusted: boolean }): Promise<AppendResult>
  read(tp: TopicPartition, offset: number, maxBytes: number, maxOffset?: number): Uint8Array
  offsets(tp: TopicPartition): { logStartOffset: number; logEndOffset: number }
  lastStableOffset(tp: TopicPartition): number
  abortedTransactions(tp: TopicPartition, offset: number, upperBoundOffset: number): ReadonlyArray<{ producerId: bigint; firstOffset: number }>
  waitForAppend(tp: TopicPartition, offset: number, signal?: AbortSignal): Promise<void>
  offsetForTimestamp(tp: TopicPartition, timestampMs: number): TimestampOffset | undefined
  groupCoordinator(): GroupCoordinatorApi
}

/** Producer batches are encoded in-process by Millrace, so their CRCs are not re-checked. */
export function producerLogOf(host: ClientHost, clock: Clock): ProducerLog {
  return {
    clock,
    partitionCount: (topic) => host.partitionCount(topic),
    initProducerId: () => host.initProducerId(),
    append: (tp, batch) => host.append(tp, batch, { trusted: true }),
    appendDurable: (tp, batch) => host.appendDurable(tp, batch, { trusted: true }),
  }
}

export function consumerLogOf(host: ClientHost, clock: Clock): ConsumerLog {
  return {
    clock,
    read: (tp, offset, maxBytes, maxOffset) => host.read(tp, offset, maxBytes, maxOffset),
    offsets: (tp) => host.offsets(tp),
    lastStableOffset: (tp) => host.lastStableOffset(tp),
    abortedTransactions: (tp, offset, upperBoundOffset) => host.abortedTransactions(tp, offset, upperBoundOffset),
    waitForAppend: (tp, offset, signal) => host.waitForAppend(tp, offset, signal),
    offsetForTimestamp: (tp, timestampMs) => host.offsetForTimestamp(tp, timestampMs),
    partitionCount: (topic) => host.partitionCount(topic),
    topicNames: () => host.listTopics(),
    groupCoordinator: () => host.groupCoordinator(),
  }
}
