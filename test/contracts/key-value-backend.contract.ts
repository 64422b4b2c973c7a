/**
 * The contract of `BytesKeyValueBackend` (src/streams/state/bytes-store.ts), run against every
 * backend: `keyValueBackendContract(harness)` registers its `describe` blocks; a backend's test
 * file supplies a harness that opens fresh, empty backends owned by the calling test.
 *
 * Covered: get/put/delete through `write`, unsigned byte order, ranges (inclusive, open ends,
 * reverse), prefix scans (0xff prefixes included), `getMany`, `approximateNumEntries`, iterator
 * lifetime and snapshot reads, the closed state, `committedOffset`, and a property test of random
 * batches and queries against an oracle (a Map sorted by `Buffer.compare`).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { BytesEntry, BytesIterator, BytesKeyValueBackend } from '../../src/streams/state/bytes-store.js'
import { codeOfSync } from '../support/error-code.js'

export interface KeyValueBackendHarness {
  /** Names the backend in test titles. */
  readonly name: string
  /** A fresh, empty backend; the harness registers its cleanup with the calling test. */
  open(): Promise<BytesKeyValueBackend>
  /** Iterators of `backend` created and not yet closed or exhausted. */
  openIteratorCount(backend: BytesKeyValueBackend): number
}

const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)
const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')
const put = (key: Uint8Array, value: Uint8Array): BytesEntry => ({ key, value })
const del = (key: Uint8Array): BytesEntry => ({ key, value: null })

/** Drains `iterator` into `key=value` hex pairs (the iterator closes itself at the end). */
function drain(iterator: BytesIterator): string[] {
  const out: string[] = []
  for (const { key, value } of iterator) out.push(`${hex(key)}=${hex(value)}`)
  return out
}

/** Keys drained from `iterator`, as hex. */
function keysOf(iterator: BytesIterator): string[] {
  return drain(iterator).map((pair) => pair.split('=')[0] as string)
}

/** Stores `keys` with the value `[i]` for the i-th key. */
function fill(backend: BytesKeyValueBackend, keys: readonly Uint8Array[]): void {
  backend.write(
    keys.map((key, i) => put(key, b(i))),
    undefined,
  )
}

/** Keys whose unsigned order differs from signed order, and prefixes shorter than their extensions. */
const ORDER_KEYS = [b(0xff), b(0x80), b(0x7f), b(0x00), b(), b(0x7f, 0x00), b(0x7f, 0xff), b(0x80, 0x00)]
const ORDERED_HEX = ['', '00', '7f', '7f00', '7fff', '80', '8000', 'ff']

export function keyValueBackendContract(harness: KeyValueBackendHarness): void {
  describe(`${harness.name} backend contract: reads and writes`, () => {
    it('returns undefined for an absent key and the stored value after a put', async () => {
      const store = await harness.open()
      expect(store.get(b(1))).toBeUndefined()
      store.write([put(b(1), b(10))], undefined)
      expect(hex(store.get(b(1)) as Uint8Array)).toBe('0a')
    })

    it('overwrites a value, deletes with a null value, and ignores deletes of absent keys', async () => {
      const store = await harness.open()
      store.write([put(b(1), b(10)), put(b(2), b(20))], undefined)
      store.write([put(b(1), b(11)), del(b(2)), del(b(3))], undefined)
      expect(hex(store.get(b(1)) as Uint8Array)).toBe('0b')
      expect(store.get(b(2))).toBeUndefined()
      expect(store.get(b(3))).toBeUndefined()
    })

    it('applies a batch in order: the last change of a key wins', async () => {
      const store = await harness.open()
      store.write([put(b(1), b(1)), put(b(1), b(2)), del(b(1)), put(b(1), b(3)), put(b(2), b(1)), del(b(2))], undefined)
      expect(hex(store.get(b(1)) as Uint8Array)).toBe('03')
      expect(store.get(b(2))).toBeUndefined()
    })

    it('keeps copies: changing the buffers given to write changes nothing stored', async () => {
      const store = await harness.open()
      const key = b(1, 2)
      const value = b(3, 4)
      store.write([put(key, value)], undefined)
      key[1] = 9
      value[0] = 9
      expect(hex(store.get(b(1, 2)) as Uint8Array)).toBe('0304')
      expect(store.get(b(1, 9))).toBeUndefined()
    })

    it('stores the empty key and the empty value, which differ from absence', async () => {
      const store = await harness.open()
      store.write([put(b(), b(7)), put(b(1), b())], undefined)
      expect(hex(store.get(b()) as Uint8Array)).toBe('07')
      expect(store.get(b(1))?.length).toBe(0)
      expect(drain(store.range(undefined, undefined, false))).toEqual(['=07', '01='])
    })

    it('reads keys given as views into larger buffers by their bytes', async () => {
      const store = await harness.open()
      const backing = b(9, 1, 2, 9, 3, 4, 9)
      store.write([put(backing.subarray(1, 3), backing.subarray(4, 6))], undefined)
      expect(hex(store.get(b(1, 2)) as Uint8Array)).toBe('0304')
      expect(hex(store.get(b(5, 1, 2, 5).subarray(1, 3)) as Uint8Array)).toBe('0304')
      expect(keysOf(store.prefixScan(backing.subarray(1, 2)))).toEqual(['0102'])
    })

    it('getMany returns values in the order of the keys, undefined for absent ones, duplicates included', async () => {
      const store = await harness.open()
      store.write([put(b(1), b(10)), put(b(2), b(20))], undefined)
      const values = store.getMany([b(2), b(3), b(1), b(2)])
      expect(values.map((v) => (v === undefined ? 'none' : hex(v)))).toEqual(['14', 'none', '0a', '14'])
      expect(store.getMany([])).toEqual([])
    })

    it('counts the entries of a store filled with distinct keys', async () => {
      const store = await harness.open()
      expect(store.approximateNumEntries()).toBe(0)
      fill(store, [b(1), b(2), b(3)])
      expect(store.approximateNumEntries()).toBe(3)
    })
  })

  describe(`${harness.name} backend contract: order, ranges and prefix scans`, () => {
    it('orders keys by unsigned bytes, a prefix before its extensions (0x7f < 0x80 < 0xff)', async () => {
      const store = await harness.open()
      fill(store, ORDER_KEYS)
      expect(keysOf(store.range(undefined, undefined, false))).toEqual(ORDERED_HEX)
      expect(keysOf(store.range(undefined, undefined, true))).toEqual([...ORDERED_HEX].reverse())
    })

    it('includes both ends of a range, in both directions', async () => {
      const store = await harness.open()
      fill(store, ORDER_KEYS)
      expect(keysOf(store.range(b(0x7f), b(0x80), false))).toEqual(['7f', '7f00', '7fff', '80'])
      expect(keysOf(store.range(b(0x7f), b(0x80), true))).toEqual(['80', '7fff', '7f00', '7f'])
      expect(keysOf(store.range(b(0x80), b(0x80), false))).toEqual(['80'])
      expect(keysOf(store.range(b(0x80), b(0x80), true))).toEqual(['80'])
    })

    it('treats an undefined end as open, in both directions', async () => {
      const store = await harness.open()
      fill(store, ORDER_KEYS)
      expect(keysOf(store.range(b(0x80), undefined, false))).toEqual(['80', '8000', 'ff'])
      expect(keysOf(store.range(undefined, b(0x00), false))).toEqual(['', '00'])
      expect(keysOf(store.range(b(0x80), undefined, true))).toEqual(['ff', '8000', '80'])
      expect(keysOf(store.range(undefined, b(0x00), true))).toEqual(['00', ''])
    })

    it('accepts ends that are not keys of the store', async () => {
      const store = await harness.open()
      fill(store, ORDER_KEYS)
      expect(keysOf(store.range(b(0x7f, 0x01), b(0xfe), false))).toEqual(['7fff', '80', '8000'])
      expect(keysOf(store.range(b(0x7f, 0x01), b(0xfe), true))).toEqual(['8000', '80', '7fff'])
      expect(keysOf(store.range(b(0xff, 0x00), undefined, false))).toEqual([])
      expect(keysOf(store.range(undefined, b(0xff, 0x00), true))[0]).toBe('ff')
    })

    it('returns nothing for a range whose start is after its end', async () => {
      const store = await harness.open()
      fill(store, ORDER_KEYS)
      expect(keysOf(store.range(b(0x80), b(0x7f), false))).toEqual([])
      expect(keysOf(store.range(b(0x80), b(0x7f), true))).toEqual([])
    })

    it('returns nothing from an empty store', async () => {
      const store = await harness.open()
      expect(keysOf(store.range(undefined, undefined, false))).toEqual([])
      expect(keysOf(store.range(undefined, undefined, true))).toEqual([])
      expect(keysOf(store.range(b(1), b(2), true))).toEqual([])
      expect(keysOf(store.prefixScan(b(1)))).toEqual([])
    })

    it('scans exactly the keys that start with a prefix, ascending', async () => {
      const store = await harness.open()
      fill(store, [...ORDER_KEYS, b(0x7e, 0xff), b(0x01, 0xff, 0x00), b(0x02)])
      expect(keysOf(store.prefixScan(b(0x7f)))).toEqual(['7f', '7f00', '7fff'])
      // The end of a prefix whose last byte is 0xff is found by incrementing the byte before it.
      expect(keysOf(store.prefixScan(b(0x01, 0xff)))).toEqual(['01ff00'])
      expect(keysOf(store.prefixScan(b(0x80, 0x00)))).toEqual(['8000'])
      expect(keysOf(store.prefixScan(b(0x7f, 0x01)))).toEqual([])
    })

    it('scans prefixes made only of 0xff bytes to the end of the key space', async () => {
      const store = await harness.open()
      fill(store, [b(0xfe, 0xff), b(0xff), b(0xff, 0xfe), b(0xff, 0xff), b(0xff, 0xff, 0x01), b(0xff, 0xff, 0xff, 0xff)])
      expect(keysOf(store.prefixScan(b(0xff)))).toEqual(['ff', 'fffe', 'ffff', 'ffff01', 'ffffffff'])
      expect(keysOf(store.prefixScan(b(0xff, 0xff)))).toEqual(['ffff', 'ffff01', 'ffffffff'])
      expect(keysOf(store.prefixScan(b(0xff, 0xff, 0xff, 0xff, 0xff)))).toEqual([])
    })

    it('scans everything for the empty prefix', async () => {
      const store = await harness.open()
      fill(store, ORDER_KEYS)
      expect(keysOf(store.prefixScan(b()))).toEqual(ORDERED_HEX)
    })
  })

  describe(`${harness.name} backend contract: iterators`, () => {
    it('closes an iterator idempotently; a closed iterator is done', async () => {
      const store = await harness.open()
      fill(store, [b(1), b(2)])
      const iterator = store.range(undefined, undefined, false)
      expect(harness.openIteratorCount(store)).toBe(1)
      expect(iterator.next().done).toBe(false)
      iterator.close()
      iterator.close()
      expect(harness.openIteratorCount(store)).toBe(0)
      expect(iterator.next().done).toBe(true)
    })

    it('closes the iterator when a for…of loop breaks out of it', async () => {
      const store = await harness.open()
      fill(store, [b(1), b(2), b(3)])
      const iterator = store.prefixScan(b())
      for (const { key } of iterator) if (key[0] === 1) break
      expect(harness.openIteratorCount(store)).toBe(0)
      expect(iterator.next().done).toBe(true)
    })

    it('closes an iterator that runs out, and one over an empty range once read', async () => {
      const store = await harness.open()
      fill(store, [b(1)])
      const all = store.range(undefined, undefined, true)
      expect(all.next().done).toBe(false)
      expect(all.next().done).toBe(true)
      const none = store.range(b(2), b(1), false)
      expect(none.next().done).toBe(true)
      expect(harness.openIteratorCount(store)).toBe(0)
    })

    it('iterates past many entries in both directions', async () => {
      const store = await harness.open()
      const count = 3000
      const keys = Array.from({ length: count }, (_, i) => b(i >> 8, i & 0xff))
      store.write(
        keys.map((key) => put(key, key)),
        undefined,
      )
      const forward = keysOf(store.range(undefined, undefined, false))
      expect(forward).toHaveLength(count)
      expect(forward).toEqual(keys.map(hex))
      expect(keysOf(store.range(undefined, undefined, true))).toEqual(keys.map(hex).reverse())
    })

    it('reads a snapshot: writes made while an iterator is open are not seen by it', async () => {
      const store = await harness.open()
      fill(store, [b(1), b(2), b(3), b(4)])
      const iterator = store.range(b(1), b(9), false)
      expect(hex(iterator.next().value?.key as Uint8Array)).toBe('01')
      store.write([put(b(2), b(0x22)), del(b(3)), put(b(5), b(0x55))], undefined)
      expect(drain(iterator)).toEqual(['02=01', '03=02', '04=03'])
      expect(drain(store.range(b(1), b(9), false))).toEqual(['01=00', '02=22', '04=03', '05=55'])
    })

    it('keeps each open iterator on its own snapshot across several writes', async () => {
      const store = await harness.open()
      fill(store, [b(1)])
      const first = store.prefixScan(b())
      store.write([put(b(2), b(2))], undefined)
      const second = store.range(undefined, undefined, true)
      store.write([del(b(1)), put(b(3), b(3))], undefined)
      expect(keysOf(first)).toEqual(['01'])
      expect(keysOf(second)).toEqual(['02', '01'])
      expect(keysOf(store.prefixScan(b()))).toEqual(['02', '03'])
      expect(harness.openIteratorCount(store)).toBe(0)
    })
  })

  describe(`${harness.name} backend contract: changelog offset and the closed state`, () => {
    it('reports no committed offset when fresh', async () => {
      const store = await harness.open()
      expect(store.committedOffset()).toBeUndefined()
    })

    it('records the offset of a write when persistent, keeps it through writes without one', async () => {
      const store = await harness.open()
      store.write([put(b(1), b(1))], 42)
      store.write([put(b(2), b(2))], undefined)
      expect(store.committedOffset()).toBe(store.persistent ? 42 : undefined)
      store.write([], 43)
      expect(store.committedOffset()).toBe(store.persistent ? 43 : undefined)
      store.write([], Number.MAX_SAFE_INTEGER)
      expect(store.committedOffset()).toBe(store.persistent ? Number.MAX_SAFE_INTEGER : undefined)
    })

    it('rejects an offset that is not an integer in [0, 2^53-1] and applies nothing of that write', async () => {
      const store = await harness.open()
      for (const offset of [-1, 1.5, Number.NaN, 2 ** 53]) {
        expect(codeOfSync(() => store.write([put(b(1), b(1))], offset))).toBe('STREAMS_ILLEGAL_STATE')
      }
      expect(store.get(b(1))).toBeUndefined()
      expect(store.committedOffset()).toBeUndefined()
    })

    it('fails every operation with STREAMS_ILLEGAL_STATE once closed; close and destroy stay idempotent', async () => {
      const store = await harness.open()
      fill(store, [b(1)])
      store.close()
      store.close()
      const operations: Array<() => unknown> = [
        () => store.get(b(1)),
        () => store.getMany([b(1)]),
        () => store.getMany([]),
        () => store.range(undefined, undefined, false),
        () => store.prefixScan(b(1)),
        () => store.approximateNumEntries(),
        () => store.write([put(b(2), b(2))], undefined),
        () => store.write([], 1),
        () => store.committedOffset(),
      ]
      for (const operation of operations) expect(codeOfSync(operation)).toBe('STREAMS_ILLEGAL_STATE')
      store.destroy()
      store.destroy()
    })

    it('fails next() of an iterator left open when its store is closed; its close() still works', async () => {
      const store = await harness.open()
      fill(store, [b(1), b(2)])
      const iterator = store.range(undefined, undefined, false)
      expect(iterator.next().done).toBe(false)
      store.close()
      expect(codeOfSync(() => iterator.next())).toBe('STREAMS_ILLEGAL_STATE')
      iterator.close()
      expect(iterator.next().done).toBe(true)
    })
  })

  describe(`${harness.name} backend contract: against an oracle`, () => {
    it('answers gets, getMany, ranges and prefix scans like a sorted map, over random batches', async () => {
      // Few distinct bytes, so batches collide on keys and prefixes straddle 0x7f/0x80 and 0xff.
      const byte = fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff)
      const key = fc.array(byte, { maxLength: 3 }).map((bytes) => Uint8Array.from(bytes))
      const value = fc.uint8Array({ maxLength: 4 })
      const entry = fc.record({ key, value: fc.option(value, { nil: null }) })
      const query = fc.oneof(
        fc.record({ kind: fc.constant('range' as const), from: fc.option(key, { nil: undefined }), to: fc.option(key, { nil: undefined }), reverse: fc.boolean() }),
        fc.record({ kind: fc.constant('prefix' as const), prefix: key }),
        fc.record({ kind: fc.constant('getMany' as const), keys: fc.array(key, { maxLength: 4 }) }),
      )
      const step = fc.record({ batch: fc.array(entry, { maxLength: 8 }), offset: fc.option(fc.nat(), { nil: undefined }), queries: fc.array(query, { maxLength: 3 }) })

      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
          const store = await harness.open()
          try {
            const oracle = new Map<string, { key: Uint8Array; value: Uint8Array }>()
            let offset: number | undefined
            const sorted = (): Array<{ key: Uint8Array; value: Uint8Array }> => [...oracle.values()].sort((x, y) => Buffer.compare(x.key, y.key))
            const pairs = (entries: ReadonlyArray<{ key: Uint8Array; value: Uint8Array }>): string[] => entries.map((e) => `${hex(e.key)}=${hex(e.value)}`)
            for (const { batch, offset: stepOffset, queries } of steps) {
              store.write(batch, stepOffset)
              for (const { key: k, value: v } of batch) {
                if (v === null) oracle.delete(hex(k))
                else oracle.set(hex(k), { key: k, value: v })
              }
              if (stepOffset !== undefined) offset = stepOffset
              expect(store.committedOffset()).toBe(store.persistent ? offset : undefined)
              for (const q of queries) {
                if (q.kind === 'range') {
                  let expected = sorted().filter((e) => (q.from === undefined || Buffer.compare(e.key, q.from) >= 0) && (q.to === undefined || Buffer.compare(e.key, q.to) <= 0))
                  if (q.reverse) expected = expected.reverse()
                  expect(drain(store.range(q.from, q.to, q.reverse))).toEqual(pairs(expected))
                } else if (q.kind === 'prefix') {
                  const expected = sorted().filter((e) => hex(e.key).startsWith(hex(q.prefix)))
                  expect(drain(store.prefixScan(q.prefix))).toEqual(pairs(expected))
                } else {
                  const expected = q.keys.map((k) => oracle.get(hex(k))?.value)
                  expect(store.getMany(q.keys).map((v) => (v === undefined ? 'none' : hex(v)))).toEqual(expected.map((v) => (v === undefined ? 'none' : hex(v))))
                }
              }
            }
            expect(drain(store.range(undefined, undefined, false))).toEqual(pairs(sorted()))
            for (const { key: k, value: v } of oracle.values()) expect(hex(store.get(k) as Uint8Array)).toBe(hex(v))
            expect(harness.openIteratorCount(store)).toBe(0)
          } finally {
            store.close()
          }
        }),
        { numRuns: 60 },
      )
    })
  })
}
