/**
 * `<dataDir>/meta.json`: the broker's own metadata — format version, cluster id, and the topic
 * catalogue (topic id, partition count, config overrides). It is the commit point of every
 * topic change: partition directories are created before it names them and removed after it
 * stops naming them, so a crash in between leaves only orphan directories, which `open` removes.
 * Replaced atomically (write temp, fsync, rename, fsync dir).
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { logError } from './errors.js'
import type { FileIO } from './storage/file-io.js'
import { readFileFully, writeFileAtomic } from './storage/atomic-file.js'

export const META_FILE = 'meta.json'
export const META_FORMAT_VERSION = 1

export interface TopicMetadata {
  /** Kafka-style topic id: 16 random bytes, base64url (22 chars). */
  topicId: string
  partitions: number
  /** Kafka-named config overrides, as given. */
  configs: Record<string, string>
}

export interface BrokerMetadata {
  formatVersion: number
  clusterId: string
  topics: Record<string, TopicMetadata>
}

/** A Kafka-style UUID: 16 random bytes in base64url without padding. */
export function newKafkaUuid(): string {
  return randomBytes(16).toString('base64url')
}

export function readBrokerMetadata(io: FileIO, dataDir: string): BrokerMetadata | undefined {
  const path = join(dataDir, META_FILE)
  const bytes = readFileFully(io, path)
  if (bytes === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (err) {
    throw logError('LOG_DATA_DIR_INVALID', `${path} is not valid JSON`, { file: path }, err)
  }
  if (!isBrokerMetadata(parsed)) throw logError('LOG_DATA_DIR_INVALID', `${path} has an unknown shape`, { file: path })
  if (parsed.formatVersion !== META_FORMAT_VERSION) {
    throw logError('LOG_DATA_DIR_INVALID', `${path} has format version ${parsed.formatVersion}, expected ${META_FORMAT_VERSION}`, {
      file: path,
    })
  }
  return parsed
}

export function writeBrokerMetadata(io: FileIO, dataDir: string, meta: BrokerMetadata): void {
  writeFileAtomic(io, join(dataDir, META_FILE), Buffer.from(JSON.stringify(meta, null, 2) + '\n', 'utf8'))
}

function isBrokerMetadata(v: unknown): v is BrokerMetadata {
  if (typeof v !== 'object' || v === null) return false
  const m = v as Record<string, unknown>
  if (typeof m.formatVersion !== 'number' || typeof m.clusterId !== 'string') return false
  if (typeof m.topics !== 'object' || m.topics === null) return false
  for (const t of Object.values(m.topics as Record<string, unknown>)) {
    if (typeof t !== 'object' || t === null) return false
    const tm = t as Record<string, unknown>
    if (typeof tm.topicId !== 'string' || !Number.isInteger(tm.partitions)) return false
    if (typeof tm.configs !== 'object' || tm.configs === null) return false
  }
  return true
}
