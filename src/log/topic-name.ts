import { isAbsolute, relative, resolve } from 'node:path'
import { logError } from './errors.js'

/**
 * Topic names and partition directory names.
 *
 * The rule is Kafka's (`clients/.../common/internals/Topic.java`): 1–249 characters of
 * `[a-zA-Z0-9._-]`, and not `.` or `..`. 249 = 255 (the usual file-name limit) minus room for
 * `-<partition>` and Kafka's `.<uuid>-delete` suffix. Because the alphabet has no separator and
 * the two dot-only names are excluded, a valid name can never escape the data directory; the
 * containment check in {@link resolvePartitionDir} is defence in depth, not the primary guard.
 */

/** Longest legal topic name (Kafka's `Topic.MAX_NAME_LENGTH`). */
export const MAX_TOPIC_NAME_LENGTH = 249

/** Partitions are int32 in Kafka's protocol and on disk. */
const MAX_PARTITION = 0x7fff_ffff

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/
/** Canonical decimal: no sign, no leading zeros, so a parsed directory name round-trips exactly. */
const PARTITION_DIGITS = /^(0|[1-9][0-9]*)$/

/** True when `name` is a legal topic name. Never throws. */
export function isValidTopicName(name: string): boolean {
  // Length first: a 10 MB name is rejected without running the regex over it.
  return (
    typeof name === 'string' &&
    name.length >= 1 &&
    name.length <= MAX_TOPIC_NAME_LENGTH &&
    name !== '.' &&
    name !== '..' &&
    LEGAL_TOPIC_NAME.test(name)
  )
}

/**
 * Asserts that `name` is a legal Kafka topic name.
 *
 * @throws MillraceError `LOG_INVALID_TOPIC` with `details.topic` (truncated to the legal length,
 *   so a huge name is never copied into the error) and `details.reason`.
 */
export function validateTopicName(name: string): void {
  if (isValidTopicName(name)) return
  let reason: string
  if (typeof name !== 'string') reason = 'not a string'
  else if (name.length === 0) reason = 'empty'
  else if (name.length > MAX_TOPIC_NAME_LENGTH) reason = `longer than ${MAX_TOPIC_NAME_LENGTH} characters`
  else if (name === '.' || name === '..') reason = `'.' and '..' are reserved`
  else reason = 'contains characters outside [a-zA-Z0-9._-]'
  const shown = typeof name === 'string' ? name.slice(0, MAX_TOPIC_NAME_LENGTH) : String(name)
  throw logError('LOG_INVALID_TOPIC', `invalid topic name ${JSON.stringify(shown)}: ${reason}`, {
    topic: shown,
    reason,
  })
}

/**
 * Kafka warns when two topic names differ only by `.` versus `_`, because both map to the same
 * metric name. Two names collide when their keys are equal.
 */
export function topicCollisionKey(name: string): string {
  return name.replaceAll('.', '_')
}

function validatePartition(topic: string, partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition > MAX_PARTITION) {
    throw logError('LOG_UNKNOWN_PARTITION', `invalid partition ${String(partition)} of topic ${topic}`, {
      topic,
      partition,
    })
  }
}

/**
 * The directory name of a partition, `<topic>-<partition>` (Kafka's layout).
 *
 * @throws MillraceError `LOG_INVALID_TOPIC` for an illegal topic name, `LOG_UNKNOWN_PARTITION`
 *   when `partition` is not an integer in [0, 2^31 − 1].
 */
export function partitionDirName(topic: string, partition: number): string {
  validateTopicName(topic)
  validatePartition(topic, partition)
  return `${topic}-${partition}`
}

/**
 * The absolute path of a partition's directory under `dataDir`, checked (lexically, with
 * `node:path`; no file-system access) to lie strictly inside `dataDir`.
 *
 * The check is lexical only: a symlink planted inside the data dir is not detected here. The data
 * dir is owned by this process (it holds the lock), so that is out of this function's scope.
 *
 * @throws MillraceError `LOG_INVALID_TOPIC` / `LOG_UNKNOWN_PARTITION` as {@link partitionDirName};
 *   `LOG_INVALID_TOPIC` with `details.reason = 'escapes data dir'` if the path were to leave it.
 */
export function resolvePartitionDir(dataDir: string, topic: string, partition: number): string {
  const name = partitionDirName(topic, partition)
  const root = resolve(dataDir)
  const dir = resolve(root, name)
  const rel = relative(root, dir)
  // Exactly one level below root under its own name: not root itself, not above it, not on
  // another drive. (Not `rel.startsWith('..')`: `..a` is a legal topic name.)
  if (isAbsolute(rel) || rel !== name) {
    throw logError('LOG_INVALID_TOPIC', `partition directory of topic ${topic} escapes the data dir`, {
      topic,
      partition,
      reason: 'escapes data dir',
    })
  }
  return dir
}

/**
 * Parses a directory name `<topic>-<partition>`, splitting at the LAST `-` (topic names may
 * contain `-`, partitions may not). Returns `undefined` for anything that is not exactly what
 * {@link partitionDirName} would produce, e.g. Kafka's `-delete` / `-future` directories, a
 * partition with a sign or leading zeros, or an illegal topic name.
 */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  const dash = name.lastIndexOf('-')
  if (dash <= 0) return undefined
  const topic = name.slice(0, dash)
  const digits = name.slice(dash + 1)
  if (!isValidTopicName(topic) || !PARTITION_DIGITS.test(digits)) return undefined
  const partition = Number(digits)
  if (partition > MAX_PARTITION) return undefined
  return { topic, partition }
}
