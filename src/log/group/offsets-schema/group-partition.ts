/**
 * Which `__consumer_offsets` partition holds a group: Kafka's
 * `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions` (`GroupCoordinatorService.partitionFor`).
 * Matching it keeps a group's records where Kafka tooling would look for them.
 */
import { MillraceError } from '../../errors.js'

/**
 * Java's `String.hashCode`: `s[0]·31^(n−1) + … + s[n−1]` over UTF-16 code units (a surrogate
 * pair counts as two), in 32-bit wrap-around arithmetic. JavaScript strings are UTF-16 too, so
 * `charCodeAt` yields exactly Java's `char`s.
 */
export function javaStringHashCode(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/** Kafka's `Utils.abs`: like `Math.abs`, but −2^31 (whose Java abs stays negative) maps to 0. */
export function kafkaAbs(n: number): number {
  return n === -0x8000_0000 ? 0 : Math.abs(n)
}

/**
 * The `__consumer_offsets` partition of `groupId` among `partitionCount` (Kafka default 50).
 * @throws `CONFIG_INVALID` when `partitionCount` is not a positive int32.
 */
export function partitionForGroup(groupId: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > 0x7fff_ffff) {
    throw new MillraceError('CONFIG_INVALID', 'partitionCount of __consumer_offsets must be a positive int32', {
      details: { path: 'partitionCount', partitionCount },
    })
  }
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount
}
