import { logError, type LogError } from '../errors.js'
import { parsePartitionDirName, partitionDirName, validateTopicName } from '../topic-name.js'
import type { FileIO } from './file-io.js'
import { readFileFully, writeFileAtomic } from './atomic-file.js'

/**
 * Kafka's text offset-checkpoint format (`server-common/.../CheckpointFile.java`,
 * `OffsetCheckpointFile.java`), used for `recovery-point-offset-checkpoint`,
 * `log-start-offset-checkpoint` and `cleaner-offset-checkpoint`:
 *
 * ```
 * 0\n                      line 1: format version, always 0
 * 2\n                      line 2: number of entries
 * orders 0 1234\n          then one line per partition: `topic partition offset`,
 * orders 1 99\n            single spaces, decimal, every line (the last too) ends in \n
 * ```
 *
 * Files are replaced atomically ({@link writeFileAtomic}), so a reader sees a whole old file or a
 * whole new one. Reading is therefore strict, stricter than Kafka's reader (which tolerates an
 * empty file, runs of whitespace and a missing final newline): anything our writer would not
 * produce is damage, reported as `LOG_CORRUPT_SEGMENT`, never guessed around. Entries are written
 * sorted by topic then partition so the same content always gives the same bytes.
 */

/** The only checkpoint format version Kafka has defined. */
export const OFFSET_CHECKPOINT_VERSION = 0

export interface OffsetCheckpointEntry {
  readonly topic: string
  readonly partition: number
  readonly offset: number
}

/** Canonical decimal, as Java's `Integer/Long.toString` writes it. */
const UNSIGNED_DECIMAL = /^(0|[1-9][0-9]*)$/
const MAX_PARTITION = 0x7fff_ffff
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function toEntries(
  entries: ReadonlyMap<string, number> | ReadonlyArray<OffsetCheckpointEntry>,
): OffsetCheckpointEntry[] {
  if (Array.isArray(entries)) return [...(entries as ReadonlyArray<OffsetCheckpointEntry>)]
  const result: OffsetCheckpointEntry[] = []
  for (const [key, offset] of entries as ReadonlyMap<string, number>) {
    const tp = parsePartitionDirName(key)
    if (tp === undefined) {
      throw logError('LOG_INVALID_TOPIC', `checkpoint key ${JSON.stringify(key.slice(0, 260))} is not <topic>-<partition>`, {
        topic: key.slice(0, 260),
      })
    }
    result.push({ topic: tp.topic, partition: tp.partition, offset })
  }
  return result
}

/**
 * Atomically and durably replaces the checkpoint at `path` with `entries`, given either as a map
 * from `<topic>-<partition>` keys (`topicPartitionKey`) to offsets or as a list. In a list,
 * a later entry for the same partition replaces an earlier one, as when building a map.
 *
 * @throws MillraceError `LOG_INVALID_TOPIC` (bad topic or map key), `LOG_UNKNOWN_PARTITION`
 *   (partition not in [0, 2^31 − 1]), `LOG_OFFSET_OUT_OF_RANGE` (offset not in [0, 2^53 − 1]) —
 *   all before anything is written; `LOG_IO_ERROR` from {@link writeFileAtomic}.
 */
export function writeOffsetCheckpoint(
  io: FileIO,
  path: string,
  entries: ReadonlyMap<string, number> | ReadonlyArray<OffsetCheckpointEntry>,
): void {
  const byKey = new Map<string, OffsetCheckpointEntry>()
  for (const entry of toEntries(entries)) {
    const key = partitionDirName(entry.topic, entry.partition) // validates topic and partition
    if (!Number.isSafeInteger(entry.offset) || entry.offset < 0) {
      throw logError('LOG_OFFSET_OUT_OF_RANGE', `checkpoint offset ${entry.offset} of ${key} is not in [0, 2^53 - 1]`, {
        topic: entry.topic,
        partition: entry.partition,
        offset: entry.offset,
      })
    }
    byKey.set(key, { topic: entry.topic, partition: entry.partition, offset: entry.offset })
  }
  const sorted = [...byKey.values()].sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
  )
  let text = `${OFFSET_CHECKPOINT_VERSION}\n${sorted.length}\n`
  for (const e of sorted) text += `${e.topic} ${e.partition} ${e.offset}\n`
  writeFileAtomic(io, path, encoder.encode(text))
}

/**
 * Reads the checkpoint at `path`. A missing file is an empty checkpoint (never written yet).
 * Entries come back in file order.
 *
 * @throws MillraceError `LOG_CORRUPT_SEGMENT` with `details.file` (and `details.line`, 1-based,
 *   where one line is at fault) when the file is not exactly what {@link writeOffsetCheckpoint}
 *   writes: wrong version, count mismatch, bad or duplicate entry, invalid UTF-8, missing final
 *   newline; `LOG_IO_ERROR` when it cannot be read.
 */
export function readOffsetCheckpoint(io: FileIO, path: string): OffsetCheckpointEntry[] {
  const bytes = readFileFully(io, path)
  if (bytes === undefined) return []

  const corrupt = (reason: string, line?: number): LogError =>
    logError(
      'LOG_CORRUPT_SEGMENT',
      `corrupt offset checkpoint ${path}${line === undefined ? '' : ` at line ${line}`}: ${reason}`,
      { file: path, line, reason },
    )

  let text: string
  try {
    text = decoder.decode(bytes)
  } catch (err) {
    throw logError('LOG_CORRUPT_SEGMENT', `corrupt offset checkpoint ${path}: not UTF-8`, {
      file: path,
      reason: 'not UTF-8',
    }, err)
  }
  if (!text.endsWith('\n')) throw corrupt(text.length === 0 ? 'empty file' : 'missing final newline')
  // Drop the final newline; every remaining '\n' separates two lines.
  const lines = text.slice(0, -1).split('\n')

  if (lines[0] !== String(OFFSET_CHECKPOINT_VERSION)) throw corrupt('unsupported version', 1)
  const countText = lines[1]
  if (countText === undefined || !UNSIGNED_DECIMAL.test(countText)) throw corrupt('bad entry count', 2)
  const expected = Number(countText)
  const actual = lines.length - 2
  if (actual !== expected) throw corrupt(`expected ${countText} entries, found ${actual}`)

  const seen = new Set<string>()
  const entries: OffsetCheckpointEntry[] = []
  for (let i = 2; i < lines.length; i++) {
    const lineNumber = i + 1
    const fields = (lines[i] ?? '').split(' ')
    const [topic, partitionText, offsetText] = fields
    if (fields.length !== 3 || topic === undefined || partitionText === undefined || offsetText === undefined) {
      throw corrupt('expected `topic partition offset`', lineNumber)
    }
    try {
      validateTopicName(topic)
    } catch (err) {
      throw logError('LOG_CORRUPT_SEGMENT', `corrupt offset checkpoint ${path} at line ${lineNumber}: bad topic`, {
        file: path,
        line: lineNumber,
        reason: 'bad topic',
      }, err)
    }
    if (!UNSIGNED_DECIMAL.test(partitionText) || Number(partitionText) > MAX_PARTITION) {
      throw corrupt('bad partition', lineNumber)
    }
    if (!UNSIGNED_DECIMAL.test(offsetText) || !Number.isSafeInteger(Number(offsetText))) {
      throw corrupt('bad offset', lineNumber)
    }
    const partition = Number(partitionText)
    const key = `${topic}-${partition}`
    if (seen.has(key)) throw corrupt('duplicate partition', lineNumber)
    seen.add(key)
    entries.push({ topic, partition, offset: Number(offsetText) })
  }
  return entries
}
