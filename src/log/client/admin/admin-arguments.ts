/**
 * Shape checks for admin arguments. The admin is called from JavaScript and from tools that
 * build requests out of user input, so a wrong shape must fail with `LOG_INVALID_ARGUMENT`
 * naming the argument's path (`topics[2].partition`) rather than crash with a TypeError
 * somewhere inside the log — and before anything has changed.
 */
import { logError, type LogError } from '../../errors.js'
import type { TopicPartition } from '../../topic-partition.js'

/** `LOG_INVALID_ARGUMENT` for the argument at `path` (never its value: it may be a payload). */
export function invalidArgument(path: string, rule: string): LogError {
  return logError('LOG_INVALID_ARGUMENT', `${path} ${rule}`, { argument: path })
}

/** @throws `LOG_INVALID_ARGUMENT` unless `value` is an array. */
export function requireArray(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) throw invalidArgument(path, 'must be an array')
  return value
}

/** @throws `LOG_INVALID_ARGUMENT` unless `value` is a non-null, non-array object. */
export function requireObject(value: unknown, path: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument(path, 'must be an object')
  return value as Readonly<Record<string, unknown>>
}

/** @throws `LOG_INVALID_ARGUMENT` unless `value` is a string. */
export function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalidArgument(path, 'must be a string')
  return value
}

/** An array of strings. @throws `LOG_INVALID_ARGUMENT`. */
export function requireStrings(value: unknown, path: string): string[] {
  return requireArray(value, path).map((s, i) => requireString(s, `${path}[${i}]`))
}

/**
 * `{ topic: string, partition: number }`. Whether the partition exists (and is an integer) is
 * the log's question: it answers `LOG_UNKNOWN_PARTITION` as Kafka does.
 * @throws `LOG_INVALID_ARGUMENT`.
 */
export function requireTopicPartition(value: unknown, path: string): TopicPartition {
  const o = requireObject(value, path)
  const topic = requireString(o['topic'], `${path}.topic`)
  const partition = o['partition']
  if (typeof partition !== 'number') throw invalidArgument(`${path}.partition`, 'must be a number')
  return { topic, partition }
}

/**
 * Rejects a batch that names the same entry twice: Kafka answers such requests with
 * INVALID_REQUEST, because which of the two should win is not defined.
 * @throws `LOG_INVALID_ARGUMENT` naming the second occurrence.
 */
export function rejectDuplicates(keys: readonly string[], path: string): void {
  const seen = new Set<string>()
  keys.forEach((key, i) => {
    if (seen.has(key)) throw invalidArgument(`${path}[${i}]`, 'repeats an earlier entry')
    seen.add(key)
  })
}

/** `{ topic, partition }` as a map key that cannot collide (a topic name may contain `-`). */
export function partitionKey(tp: TopicPartition): string {
  return `${tp.partition}:${tp.topic}`
}
