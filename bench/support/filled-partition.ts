/**
 * A broker with one topic-partition filled with the standard workload and fsynced (so background
 * writeback does not run during read figures), plus the segment files for raw baselines.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import type { TopicConfigOverrides } from '../../src/log/topic-config.js'
import type { TopicPartition } from '../../src/log/topic-partition.js'
import { fillPartition } from './records.js'

export interface FilledPartition {
  broker: Broker
  tp: TopicPartition
  dataDir: string
  records: number
  bytes: number
  /** The partition's `.log` files, oldest first. */
  segmentFiles: string[]
}

export async function openFilledPartition(
  dir: string,
  targetBytes: number,
  topicDefaults: TopicConfigOverrides = {},
): Promise<FilledPartition> {
  const dataDir = join(dir, 'broker')
  const broker = await Broker.open({ dataDir, topicDefaults })
  try {
    const tp = { topic: 'bench', partition: 0 }
    broker.createTopic({ topic: tp.topic })
    const { records, bytes } = fillPartition(broker, tp, targetBytes)
    await broker.flush(tp)
    return { broker, tp, dataDir, records, bytes, segmentFiles: segmentFilesOf(dataDir, tp) }
  } catch (err) {
    await broker.close()
    throw err
  }
}

export function segmentFilesOf(dataDir: string, tp: TopicPartition): string[] {
  const partitionDir = join(dataDir, `${tp.topic}-${tp.partition}`)
  return readdirSync(partitionDir)
    .filter((name) => name.endsWith('.log'))
    .sort()
    .map((name) => join(partitionDir, name))
}
