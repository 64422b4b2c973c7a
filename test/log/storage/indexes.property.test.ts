/**
 * Property tests of the sparse indexes against linear scans over the same entries, including a
 * reload from the file each index wrote.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { OffsetIndex } from '../../../src/log/storage/offset-index.js'
import { TimeIndex } from '../../../src/log/storage/time-index.js'

const BASE = 1_000

/** Strictly increasing (relative offset, position) pairs. */
const offsetEntries = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 5000 })), { maxLength: 200 })
  .map((steps) => {
    let rel = -1
    let pos = -1
    return steps.map(([dRel, dPos]) => {
      rel += dRel
      pos += dPos
      return { offset: BASE + rel, position: pos }
    })
  })

describe('OffsetIndex', () => {
  it('finds the greatest entry at or below any target, before and after a reload from its file', () => {
    fc.assert(
      fc.property(offsetEntries, fc.array(fc.integer({ min: BASE - 5, max: BASE + 12_000 }), { minLength: 1, maxLength: 30 }), (entries, targets) => {
        const io = new FaultFileIO()
        io.mkdir('/s')
        const index = new OffsetIndex(BASE, io.open('/s/x.index', { create: true }), 10_000)
        for (const e of entries) index.append(e.offset, e.position)
        index.file.syncNow() // entries reach the file in runs; a sync writes the rest
        const reloaded = new OffsetIndex(BASE, io.open('/s/x.index'), 10_000)
        const logSize = (entries.at(-1)?.position ?? 0) + 1
        expect(reloaded.load(logSize)).toBe(true)
        for (const t of targets) {
          const oracle = [...entries].reverse().find((e) => e.offset <= t)
          for (const idx of [index, reloaded]) {
            const got = idx.lookup(t)
            if (oracle) expect({ offset: got.offset, position: got.position }).toEqual(oracle)
            else expect(got).toMatchObject({ position: 0, slot: -1 })
          }
        }
      }),
      { numRuns: 300 },
    )
  })

  it('drops exactly the entries at or past a cut position, in memory and in its file', () => {
    fc.assert(
      fc.property(offsetEntries, fc.integer({ min: 0, max: 300_000 }), (entries, cut) => {
        const io = new FaultFileIO()
        io.mkdir('/s')
        const index = new OffsetIndex(BASE, io.open('/s/x.index', { create: true }), 10_000)
        for (const e of entries) index.append(e.offset, e.position)
        index.truncateToPosition(cut)
        index.file.syncNow()
        const kept = entries.filter((e) => e.position < cut)
        expect(index.entries).toBe(kept.length)
        const reloaded = new OffsetIndex(BASE, io.open('/s/x.index'), 10_000)
        expect(reloaded.load(Math.max(cut, 1))).toBe(true)
        expect(reloaded.entries).toBe(kept.length)
        expect(reloaded.lastOffset()).toBe(kept.at(-1)?.offset)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses to load entries that do not increase or point past the segment', () => {
    fc.assert(
      fc.property(offsetEntries.filter((e) => e.length >= 2), fc.nat(), (entries, pick) => {
        const io = new FaultFileIO()
        io.mkdir('/s')
        const index = new OffsetIndex(BASE, io.open('/s/x.index', { create: true }), 10_000)
        for (const e of entries) index.append(e.offset, e.position)
        index.file.syncNow()
        const lastPosition = entries.at(-1)?.position as number
        // The segment is shorter than the last indexed position: the index cannot be trusted.
        expect(new OffsetIndex(BASE, io.open('/s/x.index'), 10_000).load(lastPosition)).toBe(false)
        // Swap two adjacent entries' bytes: offsets no longer increase.
        const bytes = io.readFile('/s/x.index')
        const i = pick % (entries.length - 1)
        const a = bytes.slice(i * 8, i * 8 + 8)
        const b = bytes.slice(i * 8 + 8, i * 8 + 16)
        const swapped = new Uint8Array(bytes)
        swapped.set(b, i * 8)
        swapped.set(a, i * 8 + 8)
        io.writeFile('/s/y.index', swapped)
        expect(new OffsetIndex(BASE, io.open('/s/y.index'), 10_000).load(lastPosition + 1)).toBe(false)
      }),
      { numRuns: 200 },
    )
  })
})

describe('TimeIndex', () => {
  it('names the last offset before which every record is older than the target, like a scan of its entries', () => {
    const entries = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 20 })), { maxLength: 150 })
      .map((steps) => {
        let ts = 5_000
        let rel = -1
        return steps.map(([dTs, dRel]) => {
          ts += dTs
          rel += dRel
          return { timestamp: ts, offset: BASE + rel }
        })
      })
    fc.assert(
      fc.property(entries, fc.array(fc.integer({ min: 4_990, max: 25_000 }), { minLength: 1, maxLength: 20 }), (list, targets) => {
        const io = new FaultFileIO()
        io.mkdir('/s')
        const index = new TimeIndex(BASE, io.open('/s/x.timeindex', { create: true }), 10_000)
        for (const e of list) index.maybeAppend(e.timestamp, e.offset)
        // maybeAppend keeps only entries that raise the timestamp: the index's own view.
        const kept: typeof list = []
        for (const e of list) if (kept.length === 0 || e.timestamp > (kept.at(-1)?.timestamp as number)) kept.push(e)
        expect(index.entries).toBe(kept.length)
        index.file.syncNow()
        const reloaded = new TimeIndex(BASE, io.open('/s/x.timeindex'), 10_000)
        expect(reloaded.load(0x7fffffff)).toBe(true)
        for (const t of targets) {
          const oracle = [...kept].reverse().find((e) => e.timestamp < t)
          const expected = oracle ? oracle.offset : BASE - 1
          expect(index.lookupBefore(t)).toBe(expected)
          expect(reloaded.lookupBefore(t)).toBe(expected)
        }
      }),
      { numRuns: 300 },
    )
  })
})
