/**
 * The contract of the typed key-value store a processor gets (`KeyValueStoreImpl`: serdes, the
 * write buffer of uncommitted changes, the clean cache) over one backend, with or without caching:
 * `keyValueStoreContract(harness)` registers its `describe` blocks. Reads are checked with
 * entries committed (in the backend), uncommitted (in the write buffer) and both, since a store
 * holds both between commits; a property test runs random operations and commits against a
 * sorted map.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Serdes } from '../../src/serdes/index.js'
import type { BytesKeyValueBackend } from '../../src/streams/state/bytes-store.js'
import { KeyValueStoreImpl } from '../../src/streams/state/key-value-store-impl.js'
import type { KeyValueIterator } from '../../src/streams/state/key-value-store.js'
import { Stores } from '../../src/streams/state/stores.js'

export interface KeyValueStoreHarness {
  readonly name: string
  /** A fresh, empty backend; the harness registers its cleanup with the calling test. */
  openBackend(): Promise<BytesKeyValueBackend>
}

const S = Serdes.string()

interface Opened {
  readonly store: KeyValueStoreImpl<string, string>
  commit(): void
  readonly changelog: string[]
}

async function open(harness: KeyValueStoreHarness, caching: boolean, backend?: BytesKeyValueBackend): Promise<Opened> {
  const changelog: string[] = []
  const target = backend ?? (await harness.openBackend())
  if (backend !== undefined) {
    const keys: Uint8Array[] = []
    for (const { key } of backend.range(undefined, undefined, false)) keys.push(key)
    backend.write(
      keys.map((key) => ({ key, value: null })),
      undefined,
    )
  }
  const store = new KeyValueStoreImpl(Stores.keyValue({ name: 'kv', key: S, value: S, caching, backend: 'memory' }), target, {
    topic: 'app-kv-changelog',
    changelog: (key, value) => void changelog.push(`${Buffer.from(key).toString()}=${value === null ? 'null' : Buffer.from(value).toString()}`),
    timestampMs: () => 0,
    cacheMaxBytes: 1 << 30,
    requestCommit: () => undefined,
    asCurrentNode: () => <T>(fn: () => T) => fn(),
  })
  return { store, changelog, commit: () => (store.flush(), store.commit(undefined)) }
}

const pairs = (it: KeyValueIterator<string, string>): string[] => [...it].map((e) => `${e.key}=${e.value}`)

export function keyValueStoreContract(harness: KeyValueStoreHarness): void {
  for (const caching of [true, false]) {
    describe(`key-value store contract (${harness.name}${caching ? ' + caching' : ''})`, () => {
      it('gets, puts, overwrites and deletes across commits', async () => {
        const { store, commit } = await open(harness, caching)
        store.put('a', '1')
        expect(store.get('a')).toBe('1')
        commit()
        expect(store.get('a')).toBe('1')
        store.put('a', '2')
        expect(store.get('a')).toBe('2')
        expect(store.delete('a')).toBe('2')
        expect(store.get('a')).toBeUndefined()
        commit()
        expect(store.get('a')).toBeUndefined()
        expect(store.delete('zzz')).toBeUndefined()
      })

      it('putIfAbsent writes only an absent key and returns the present value', async () => {
        const { store, commit } = await open(harness, caching)
        expect(store.putIfAbsent('a', '1')).toBeUndefined()
        commit()
        expect(store.putIfAbsent('a', '2')).toBe('1')
        expect(store.get('a')).toBe('1')
        store.putAll([
          { key: 'b', value: '2' },
          { key: 'a', value: null },
        ])
        expect(pairs(store.all())).toEqual(['b=2'])
      })

      it('merges committed and uncommitted entries in ranges, reverse ranges and prefix scans', async () => {
        const { store, commit } = await open(harness, caching)
        for (const k of ['a', 'ab', 'b', 'd']) store.put(k, `c-${k}`)
        commit()
        store.put('abc', 'u-abc')
        store.put('b', 'u-b')
        store.delete('d')
        store.put('c', 'u-c')
        expect(pairs(store.all())).toEqual(['a=c-a', 'ab=c-ab', 'abc=u-abc', 'b=u-b', 'c=u-c'])
        expect(pairs(store.reverseAll())).toEqual(['c=u-c', 'b=u-b', 'abc=u-abc', 'ab=c-ab', 'a=c-a'])
        expect(pairs(store.range('ab', 'b'))).toEqual(['ab=c-ab', 'abc=u-abc', 'b=u-b'])
        expect(pairs(store.reverseRange(undefined, 'ab'))).toEqual(['ab=c-ab', 'a=c-a'])
        expect(pairs(store.prefixScan('ab'))).toEqual(['ab=c-ab', 'abc=u-abc'])
        expect(store.approximateNumEntries()).toBeGreaterThanOrEqual(4)
      })

      it(caching ? 'sends one changelog record per changed key at flush' : 'sends every change to the changelog when it is made', async () => {
        const { store, changelog, commit } = await open(harness, caching)
        store.put('a', '1')
        store.put('a', '2')
        store.delete('b')
        expect(changelog).toEqual(caching ? [] : ['a=1', 'a=2', 'b=null'])
        commit()
        expect(changelog).toEqual(caching ? ['a=2', 'b=null'] : ['a=1', 'a=2', 'b=null'])
      })

      it('agrees with a sorted map over random puts, deletes, commits and range reads', async () => {
        const keys = ['', 'a', 'a\u0000', 'ab', 'b', '\u00ff']
        const op = fc.oneof(
          fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom(...keys), value: fc.option(fc.string({ maxLength: 3 }), { nil: null }) }),
          fc.record({ kind: fc.constant('commit' as const) }),
          fc.record({ kind: fc.constant('range' as const), from: fc.option(fc.constantFrom(...keys), { nil: undefined }), to: fc.option(fc.constantFrom(...keys), { nil: undefined }), reverse: fc.boolean() }),
          fc.record({ kind: fc.constant('prefix' as const), prefix: fc.constantFrom(...keys) }),
        )
        const backend = await harness.openBackend()
        await fc.assert(
          fc.asyncProperty(fc.array(op, { maxLength: 50 }), async (ops) => {
            const { store, commit } = await open(harness, caching, backend)
            const model = new Map<string, string>()
            const sorted = (): Array<[string, string]> => [...model].sort(([x], [y]) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
            const cmp = (x: string, y: string): number => Buffer.compare(Buffer.from(x), Buffer.from(y))
            for (const o of ops) {
              if (o.kind === 'put') {
                store.put(o.key, o.value)
                if (o.value === null) model.delete(o.key)
                else model.set(o.key, o.value)
                expect(store.get(o.key)).toBe(o.value ?? undefined)
              } else if (o.kind === 'commit') {
                commit()
              } else if (o.kind === 'range') {
                const expected = sorted()
                  .filter(([k]) => (o.from === undefined || cmp(k, o.from) >= 0) && (o.to === undefined || cmp(k, o.to) <= 0))
                  .map(([k, v]) => `${k}=${v}`)
                expect(pairs(o.reverse ? store.reverseRange(o.from, o.to) : store.range(o.from, o.to))).toEqual(o.reverse ? expected.reverse() : expected)
              } else {
                const expected = sorted()
                  .filter(([k]) => Buffer.from(k).subarray(0, Buffer.byteLength(o.prefix)).equals(Buffer.from(o.prefix)))
                  .map(([k, v]) => `${k}=${v}`)
                expect(pairs(store.prefixScan(o.prefix))).toEqual(expected)
              }
            }
          }),
          { numRuns: 60 },
        )
      })
    })
  }
}
