import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { groupSegmentsBySize, type GroupableSegment } from '../../../src/log/cleaner/segment-groups.js'

function segment(baseOffset: number, nextOffset: number, sizeBytes: number, indexEntries = 0): GroupableSegment {
  return { baseOffset, nextOffset, sizeBytes, offsetIndexEntries: indexEntries, timeIndexEntries: indexEntries }
}

describe('groupSegmentsBySize', () => {
  it('merges consecutive segments while their total stays within segment.bytes', () => {
    const segs = [segment(0, 10, 400), segment(10, 20, 400), segment(20, 30, 400), segment(30, 40, 100)]
    const groups = groupSegmentsBySize(segs, { maxBytes: 1000, maxIndexEntries: 100 })
    expect(groups.map((g) => g.map((s) => s.baseOffset))).toEqual([[0, 10], [20, 30]])
  })

  it('splits groups at the index capacity and at 2^31 offsets from the group base', () => {
    const byIndex = groupSegmentsBySize([segment(0, 1, 1, 60), segment(1, 2, 1, 60)], { maxBytes: 1000, maxIndexEntries: 100 })
    expect(byIndex).toHaveLength(2)
    const byOffsets = groupSegmentsBySize([segment(0, 10, 1), segment(2 ** 31 - 5, 2 ** 31 + 5, 1)], {
      maxBytes: 1000,
      maxIndexEntries: 100,
    })
    expect(byOffsets).toHaveLength(2)
  })

  it('covers every segment once, in order, each group within the limits unless it is one segment', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 20 })), { maxLength: 50 }), (specs) => {
        const segs = specs.map(([size, idx], i) => segment(i * 10, i * 10 + 10, size, idx))
        const groups = groupSegmentsBySize(segs, { maxBytes: 1000, maxIndexEntries: 30 })
        expect(groups.flat()).toEqual(segs)
        for (const g of groups) {
          expect(g.length).toBeGreaterThan(0)
          if (g.length === 1) continue
          expect(g.reduce((n, s) => n + s.sizeBytes, 0)).toBeLessThanOrEqual(1000)
          expect(g.reduce((n, s) => n + s.offsetIndexEntries, 0)).toBeLessThanOrEqual(30)
        }
      }),
    )
  })
})
