/**
 * The broker's in-memory view of its topics — metadata, resolved config and the partition logs
 * (or the error that keeps one from opening) — and the pure helpers over it.
 */
import { logError, type LogError } from './errors.js'
import type { BrokerMetadata } from './broker-metadata.js'
import type { PartitionLog, PartitionLogConfig } from './storage/partition-log.js'
import type { TopicConfig, TopicConfigOverrides } from './topic-config.js'

/** Most partitions one topic may have (keeps a typo from creating millions of directories). */
export const MAX_PARTITIONS_PER_TOPIC = 10_000

export interface PartitionState {
  log?: PartitionLog
  error?: LogError
}

export interface TopicState {
  meta: BrokerMetadata['topics'][string]
  config: TopicConfig
  partitions: PartitionState[]
}

export interface PartitionDescription {
  partition: number
  logStartOffset: number
  logEndOffset: number
  /** Offsets below this are fsynced. */
  recoveryPoint: number
  sizeBytes: number
  segments: number
  /** Set when the partition could not be opened (e.g. `LOG_CORRUPT_SEGMENT`) or has failed. */
  error?: { code: string; message: string }
}

export function describePartition(p: PartitionState, partition: number): PartitionDescription {
  if (!p.log || p.error) {
    const err = p.error
    return {
      partition,
      logStartOffset: -1,
      logEndOffset: -1,
      recoveryPoint: -1,
      sizeBytes: 0,
      segments: 0,
      error: { code: err?.code ?? 'LOG_IO_ERROR', message: err?.message ?? 'unavailable' },
    }
  }
  const log = p.log
  const failure = log.failedWith
  return {
    partition,
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    recoveryPoint: log.recoveryPoint,
    sizeBytes: log.sizeBytes,
    segments: log.segmentCount,
    ...(failure ? { error: { code: failure.code, message: failure.message } } : {}),
  }
}

export function partitionLogConfig(c: TopicConfig): PartitionLogConfig {
  return {
    segmentBytes: c.segmentBytes,
    segmentMs: c.segmentMs,
    segmentIndexBytes: c.segmentIndexBytes,
    indexIntervalBytes: c.indexIntervalBytes,
    maxMessageBytes: c.maxMessageBytes,
    messageTimestampType: c.messageTimestampType,
    flushMessages: c.flushMessages,
  }
}

export function checkPartitionCount(topic: string, partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS_PER_TOPIC) {
    throw logError(
      'LOG_INVALID_PARTITIONS',
      `topic ${topic}: partition count must be an integer in [1, ${MAX_PARTITIONS_PER_TOPIC}], got ${String(partitions)}`,
      { topic, partitions: Number.isFinite(partitions) ? partitions : String(partitions) },
    )
  }
}

export function stringifyConfigs(configs: TopicConfigOverrides): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(configs)) out[k] = String(v)
  return out
}

/** Calls `fn` for every partition that is open and has not failed, topic by topic. */
export function forEachOpenPartition(
  topics: ReadonlyMap<string, TopicState>,
  fn: (topic: string, partition: number, log: PartitionLog, state: TopicState) => void,
): void {
  for (const [topic, state] of topics) {
    state.partitions.forEach((p, partition) => {
      if (p.log && !p.error) fn(topic, partition, p.log, state)
    })
  }
}
