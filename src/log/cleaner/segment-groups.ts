/**
 * Groups consecutive segments that a cleaning round merges into one output segment (Kafka
 * `Cleaner.groupSegmentsBySize`): without merging, every round would leave segments smaller than
 * the last, and a compacted log would end up as thousands of tiny files.
 *
 * A group grows while the sums of its inputs stay within `segment.bytes` (log bytes) and the
 * index capacity (`segment.index.bytes` / 8 entries, for the offset and the time index each), and
 * its offsets still fit the 4-byte relative offsets of the indexes. The inputs' sizes bound the
 * output's: cleaning only removes records (a delete horizon can grow a re-encoded batch by a few
 * bytes of timestamp deltas, well within the slack `segment.bytes` leaves for a whole batch).
 */
export interface GroupableSegment {
  readonly baseOffset: number
  readonly nextOffset: number
  readonly sizeBytes: number
  readonly offsetIndexEntries: number
  readonly timeIndexEntries: number
}

export interface SegmentGroupLimits {
  /** `segment.bytes` */
  maxBytes: number
  /** `segment.index.bytes` / 8 */
  maxIndexEntries: number
}

/** Largest offset distance an index entry can store (int32 relative offset). */
const MAX_RELATIVE_OFFSET = 0x7fff_ffff

/** Splits `segments` (consecutive, oldest first) into groups, each merged into one segment. */
export function groupSegmentsBySize<T extends GroupableSegment>(segments: readonly T[], limits: SegmentGroupLimits): T[][] {
  const groups: T[][] = []
  let group: T[] = []
  let bytes = 0
  let indexEntries = 0
  let timeIndexEntries = 0
  for (const segment of segments) {
    const first = group[0]
    const fits =
      first !== undefined &&
      bytes + segment.sizeBytes <= limits.maxBytes &&
      indexEntries + segment.offsetIndexEntries <= limits.maxIndexEntries &&
      timeIndexEntries + segment.timeIndexEntries <= limits.maxIndexEntries &&
      segment.nextOffset - 1 - first.baseOffset <= MAX_RELATIVE_OFFSET
    if (!fits && group.length > 0) {
      groups.push(group)
      group = []
      bytes = 0
      indexEntries = 0
      timeIndexEntries = 0
    }
    group.push(segment)
    bytes += segment.sizeBytes
    indexEntries += segment.offsetIndexEntries
    timeIndexEntries += segment.timeIndexEntries
  }
  if (group.length > 0) groups.push(group)
  return groups
}
