/**
 * Opening a data directory, before the broker object exists and while it loads: the exclusive
 * lock, the topic catalogue (`meta.json`), and every partition log with its recovery, plus the
 * removal of leftovers of interrupted topic changes.
 */
import { join } from 'node:path'
import { isMillraceError, logError, type LogError } from './errors.js'
import { META_FORMAT_VERSION, newKafkaUuid, readBrokerMetadata, writeBrokerMetadata, type BrokerMetadata } from './broker-metadata.js'
import { LOCK_FILE, LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT } from './broker-options.js'
import type { TopicState } from './broker-topics.js'
import { readOffsetCheckpoint, type OffsetCheckpointEntry } from './storage/checkpoint-file.js'
import type { FileIO, FileLock } from './storage/file-io.js'
import type { PartitionLog } from './storage/partition-log.js'
import type { TopicConfig, TopicConfigOverrides } from './topic-config.js'
import { parsePartitionDirName } from './topic-name.js'

/** What a partition log needs to recover: where fsynced data ends, where the log starts. */
export interface PartitionRecovery {
  readonly recoveryPoint: number
  readonly logStartOffset: number
  readonly cleanShutdown: boolean
}

/**
 * Takes the data directory's lock file.
 * @throws `LOG_DATA_DIR_LOCKED` when another broker (in this or another process) holds it,
 *   `LOG_IO_ERROR` when it cannot be created.
 */
export function lockDataDir(io: FileIO, dataDir: string): FileLock {
  try {
    return io.lock(join(dataDir, LOCK_FILE))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw logError('LOG_DATA_DIR_LOCKED', `data directory ${dataDir} is in use by another broker`, { file: dataDir }, err)
    }
    throw logError('LOG_IO_ERROR', `cannot lock ${dataDir}`, { file: dataDir }, err)
  }
}

/**
 * The topic catalogue of `dataDir`, created empty for a new directory.
 * @throws `LOG_DATA_DIR_INVALID` for an unreadable `meta.json`, or partition directories without one.
 */
export function readOrCreateMetadata(io: FileIO, dataDir: string): BrokerMetadata {
  const meta = readBrokerMetadata(io, dataDir)
  if (meta) return meta
  // No catalogue but partition directories: meta.json was lost or the directory is not ours.
  // Starting empty would remove them all as leftovers — refuse instead.
  const stray = io.list(dataDir).filter((name) => parsePartitionDirName(name) !== undefined)
  if (stray.length > 0) {
    throw logError(
      'LOG_DATA_DIR_INVALID',
      `${dataDir} has partition directories (${stray.slice(0, 3).join(', ')}…) but no meta.json; refusing to open it`,
      { file: dataDir },
    )
  }
  const created: BrokerMetadata = { formatVersion: META_FORMAT_VERSION, clusterId: newKafkaUuid(), topics: {} }
  writeBrokerMetadata(io, dataDir, created)
  return created
}

export interface LoadTopicsOptions {
  readonly io: FileIO
  readonly dataDir: string
  readonly topics: BrokerMetadata['topics']
  readonly cleanShutdown: boolean
  resolveConfig(overrides: TopicConfigOverrides): TopicConfig
  openLog(topic: string, partition: number, config: TopicConfig, recovery: PartitionRecovery): PartitionLog
}

/**
 * Opens (and recovers) every partition of the catalogue's topics, then removes directories no
 * topic names — leftovers of an interrupted create or delete. A partition that fails with a
 * `LOG_…` error is kept as failed (the others work); any other error fails the load.
 */
export function loadTopicStates(options: LoadTopicsOptions): Map<string, TopicState> {
  const { io, dataDir, cleanShutdown } = options
  const recoveryPoints = checkpointMap(readOffsetCheckpoint(io, join(dataDir, RECOVERY_POINT_CHECKPOINT)))
  const logStarts = checkpointMap(readOffsetCheckpoint(io, join(dataDir, LOG_START_OFFSET_CHECKPOINT)))
  const topics = new Map<string, TopicState>()
  for (const [topic, meta] of Object.entries(options.topics)) {
    const config = options.resolveConfig(meta.configs)
    const state: TopicState = { meta, config, partitions: [] }
    for (let p = 0; p < meta.partitions; p++) {
      const key = `${topic}-${p}`
      try {
        state.partitions.push({
          log: options.openLog(topic, p, config, {
            recoveryPoint: recoveryPoints.get(key) ?? 0,
            logStartOffset: logStarts.get(key) ?? 0,
            cleanShutdown,
          }),
        })
      } catch (err) {
        if (!isMillraceError(err) || !err.code.startsWith('LOG_')) throw err
        state.partitions.push({ error: err as LogError })
      }
    }
    topics.set(topic, state)
  }
  let removed = false
  for (const name of io.list(dataDir)) {
    const tp = parsePartitionDirName(name)
    const owner = tp ? topics.get(tp.topic) : undefined
    const isLeftover = tp ? !owner || tp.partition >= owner.partitions.length : name.endsWith('-delete')
    if (isLeftover) {
      io.removeDir(join(dataDir, name))
      removed = true
    }
  }
  if (removed) io.syncDir(dataDir)
  return topics
}

function checkpointMap(entries: OffsetCheckpointEntry[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const e of entries) m.set(`${e.topic}-${e.partition}`, e.offset)
  return m
}
