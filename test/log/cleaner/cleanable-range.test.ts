import { describe, expect, it } from 'vitest'
import { cleanableRange, isCleaningDue, type CleanableRangeInput } from '../../../src/log/cleaner/cleanable-range.js'
import type { SegmentInfo } from '../../../src/log/storage/partition-log.js'

const NOW = 1_000_000

/** Segments of 100 bytes at the given bases; the last is active and ends at `end`. */
function segments(bases: number[], end: number, maxTimestampMs: (i: number) => number = () => 0): SegmentInfo[] {
  return bases.map((baseOffset, i) => ({
    baseOffset,
    nextOffset: bases[i + 1] ?? end,
    sizeBytes: 100,
    maxTimestampMs: maxTimestampMs(i),
    firstBatchTimestampMs: maxTimestampMs(i),
    isActive: i === bases.length - 1,
  }))
}

function input(overrides: Partial<CleanableRangeInput>): CleanableRangeInput {
  const segs = overrides.segments ?? segments([0, 10, 20, 30], 35)
  return {
    segments: segs,
    logStartOffset: 0,
    logEndOffset: 35,
    checkpointOffset: undefined,
    maxCleanableOffset: 35,
    nowMs: NOW,
    minCompactionLagMs: 0,
    ...overrides,
  }
}

describe('cleanableRange', () => {
  it('runs from the checkpoint to the active segment, counting clean and dirty bytes', () => {
    expect(cleanableRange(input({ checkpointOffset: 10 }))).toMatchObject({
      firstDirtyOffset: 10,
      firstUncleanableOffset: 30,
      cleanBytes: 100,
      cleanableBytes: 200,
      dirtyRatio: 2 / 3,
    })
  })

  it('starts at the log start without a checkpoint, or when the checkpoint is outside the log', () => {
    expect(cleanableRange(input({})).firstDirtyOffset).toBe(0)
    expect(cleanableRange(input({ checkpointOffset: 99 })).firstDirtyOffset).toBe(0)
    expect(cleanableRange(input({ checkpointOffset: 3, logStartOffset: 5 })).firstDirtyOffset).toBe(5)
  })

  it('ends at the base of the segment holding maxCleanableOffset', () => {
    expect(cleanableRange(input({ maxCleanableOffset: 15 })).firstUncleanableOffset).toBe(10)
    expect(cleanableRange(input({ maxCleanableOffset: 20 })).firstUncleanableOffset).toBe(20)
    expect(cleanableRange(input({ maxCleanableOffset: 0 })).firstUncleanableOffset).toBe(0)
  })

  it('ends at the first dirty segment holding a record younger than min.compaction.lag.ms', () => {
    const segs = segments([0, 10, 20, 30], 35, (i) => [NOW - 5000, NOW - 2000, NOW - 10, NOW][i] ?? 0)
    expect(cleanableRange(input({ segments: segs, minCompactionLagMs: 1000 })).firstUncleanableOffset).toBe(20)
    expect(cleanableRange(input({ segments: segs, minCompactionLagMs: 3000 })).firstUncleanableOffset).toBe(10)
    expect(cleanableRange(input({ segments: segs, minCompactionLagMs: 0 })).firstUncleanableOffset).toBe(30)
  })
})

describe('isCleaningDue', () => {
  const settings = { minCleanableDirtyRatio: 0.5, maxCompactionLagMs: Number.MAX_SAFE_INTEGER }

  it('is due when the dirty ratio reaches min.cleanable.dirty.ratio and something is cleanable', () => {
    expect(isCleaningDue(cleanableRange(input({ checkpointOffset: 10 })), settings, NOW, undefined)).toBe(true)
    expect(isCleaningDue(cleanableRange(input({ checkpointOffset: 20 })), settings, NOW, undefined)).toBe(false)
    expect(isCleaningDue(cleanableRange(input({ checkpointOffset: 30 })), { ...settings, minCleanableDirtyRatio: 0 }, NOW, undefined)).toBe(false)
  })

  it('is due when dirty data is older than max.compaction.lag.ms', () => {
    const range = cleanableRange(input({ checkpointOffset: 20, segments: segments([0, 10, 20, 30], 35, () => NOW - 10_000) }))
    expect(isCleaningDue(range, { ...settings, maxCompactionLagMs: 20_000 }, NOW, undefined)).toBe(false)
    expect(isCleaningDue(range, { ...settings, maxCompactionLagMs: 5_000 }, NOW, undefined)).toBe(true)
  })

  it('is due once a delete horizon left by the last round has passed', () => {
    const range = cleanableRange(input({ checkpointOffset: 30 }))
    expect(isCleaningDue(range, settings, NOW, NOW + 1)).toBe(false)
    expect(isCleaningDue(range, settings, NOW, NOW)).toBe(true)
  })
})
