/**
 * Retention for `cleanup.policy=delete` (Kafka `UnifiedLog.deleteOldSegments`): whole segments,
 * oldest first, stopping at the first segment that does not qualify.
 */
import type { PartitionLog, SegmentInfo } from './storage/partition-log.js'

export interface RetentionSettings {
  retentionMs: number
  retentionBytes: number
}

/** How many of the oldest segments breach retention at `nowMs`. */
export function segmentsToDelete(segments: readonly SegmentInfo[], settings: RetentionSettings, nowMs: number): number {
  let byTime = 0
  if (settings.retentionMs >= 0) {
    for (const s of segments) {
      if (s.sizeBytes === 0 && s.isActive) break
      if (nowMs - s.maxTimestampMs > settings.retentionMs) byTime++
      else break
    }
  }
  let bySize = 0
  if (settings.retentionBytes >= 0) {
    let diff = segments.reduce((n, s) => n + s.sizeBytes, 0) - settings.retentionBytes
    for (const s of segments) {
      if (s.sizeBytes === 0 && s.isActive) break
      if (diff - s.sizeBytes < 0) break
      diff -= s.sizeBytes
      bySize++
    }
  }
  return Math.max(byTime, bySize)
}

/** Applies retention to one partition; returns the number of segments deleted. */
export function applyRetention(log: PartitionLog, settings: RetentionSettings, nowMs: number): number {
  const n = segmentsToDelete(log.segmentInfos(), settings, nowMs)
  return n > 0 ? log.deleteOldestSegments(n) : 0
}
