/**
 * The contract of the typed window and session stores (`WindowStoreImpl`, `SessionStoreImpl`)
 * over the key-value store and a backend: `windowedStoresContract(harness)` registers its
 * `describe` blocks for one backend with or without caching. Every read is checked with entries
 * both committed (in the backend) and uncommitted (in the write buffer), since a store always
 * holds both between commits.
 *
 * Covered: point and range fetches (start times inclusive, ascending and backward), keys that are
 * byte prefixes of each other, key ranges, all-key time ranges, session lookup by end/start
 * bounds, retention (expired entries invisible at once, refused, swept with tombstones), bad
 * times, and fast-check runs of random operations and commits against a naive model.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Serdes, type Windowed } from '../../src/serdes/index.js'
import type { BytesKeyValueBackend } from '../../src/streams/state/bytes-store.js'
import { KeyValueStoreImpl } from '../../src/streams/state/key-value-store-impl.js'
import type { KeyValueIterator } from '../../src/streams/state/key-value-store.js'
import { SessionStoreImpl } from '../../src/streams/state/session-store-impl.js'
import { storeFace } from '../../src/streams/state/store-face.js'
import { Stores } from '../../src/streams/state/stores.js'
import { WindowStoreImpl } from '../../src/streams/state/window-store-impl.js'
import { codeOfSync } from '../support/error-code.js'

export interface WindowedStoresHarness {
  /** Names the backend in test titles. */
  readonly name: string
  /** A fresh, empty backend; the harness registers its cleanup with the calling test. */
  openBackend(): Promise<BytesKeyValueBackend>
}

const S = Serdes.string()

interface Opened<S> {
  readonly store: S
  /** Commits the store as a task does: flush, then the buffer into the backend. */
  commit(): void
  /** Keys of the changelog records written so far, with `null` values marked. */
  readonly changelog: Array<{ readonly key: Uint8Array; readonly deleted: boolean }>
}

function runtimeOf(changelog: Opened<unknown>['changelog']) {
  return {
    topic: 'app-store-changelog',
    changelog: (key: Uint8Array, value: Uint8Array | null) => void changelog.push({ key, deleted: value === null }),
    timestampMs: () => 0,
    cacheMaxBytes: 1 << 30,
    requestCommit: () => undefined,
    asCurrentNode: () => <T>(fn: () => T) => fn(),
  }
}

/** Empties `backend` (a property reuses one backend across its runs: RocksDB backends are few). */
function wipe(backend: BytesKeyValueBackend): BytesKeyValueBackend {
  const keys: Uint8Array[] = []
  for (const { key } of backend.range(undefined, undefined, false)) keys.push(key)
  backend.write(
    keys.map((key) => ({ key, value: null })),
    undefined,
  )
  return backend
}

async function openWindowStore(harness: WindowedStoresHarness, caching: boolean, retentionMs = 1_000_000, backend?: BytesKeyValueBackend): Promise<Opened<WindowStoreImpl<string, string>>> {
  const spec = Stores.window({ name: 'windows', key: S, value: S, windowSizeMs: 10, retentionMs, caching, backend: 'memory' })
  const changelog: Opened<unknown>['changelog'] = []
  const kv = new KeyValueStoreImpl(spec, backend === undefined ? await harness.openBackend() : wipe(backend), runtimeOf(changelog))
  const store = storeFace(kv as unknown as KeyValueStoreImpl<unknown, unknown>) as WindowStoreImpl<string, string>
  return { store, changelog, commit: () => (kv.flush(), kv.commit(undefined)) }
}

async function openSessionStore(harness: WindowedStoresHarness, caching: boolean, retentionMs = 1_000_000, backend?: BytesKeyValueBackend): Promise<Opened<SessionStoreImpl<string, string>>> {
  const spec = Stores.session({ name: 'sessions', key: S, value: S, retentionMs, caching, backend: 'memory' })
  const changelog: Opened<unknown>['changelog'] = []
  const kv = new KeyValueStoreImpl(spec, backend === undefined ? await harness.openBackend() : wipe(backend), runtimeOf(changelog))
  const store = storeFace(kv as unknown as KeyValueStoreImpl<unknown, unknown>) as SessionStoreImpl<string, string>
  return { store, changelog, commit: () => (kv.flush(), kv.commit(undefined)) }
}

/** The bytes a window store keeps for `key`'s window at `start`: key, then the start as int64 big-endian. */
function storedKey(key: string, start: number): Buffer {
  const time = Buffer.alloc(8)
  time.writeBigInt64BE(BigInt(start))
  return Buffer.concat([Buffer.from(key), time])
}

const starts = (it: KeyValueIterator<number, string>): string[] => [...it].map((e) => `${e.key}=${e.value}`)
const windows = (it: KeyValueIterator<Windowed<string>, string>): string[] => [...it].map((e) => `${e.key.key}@${e.key.window.startMs}-${e.key.window.endMs}=${e.value}`)

export function windowedStoresContract(harness: WindowedStoresHarness): void {
  for (const caching of [true, false]) {
    const title = `${harness.name}${caching ? ' + caching' : ''}`

    describe(`window store contract (${title})`, () => {
      it('puts, fetches a window, overwrites and deletes it, committed or not', async () => {
        const { store, commit } = await openWindowStore(harness, caching)
        store.put('a', 'one', 10)
        expect(store.fetch('a', 10)).toBe('one')
        commit()
        expect(store.fetch('a', 10)).toBe('one')
        store.put('a', 'two', 10)
        expect(store.fetch('a', 10)).toBe('two')
        expect(store.fetch('a', 20)).toBeUndefined()
        expect(store.fetch('b', 10)).toBeUndefined()
        store.put('a', null, 10)
        expect(store.fetch('a', 10)).toBeUndefined()
        commit()
        expect(store.fetch('a', 10)).toBeUndefined()
      })

      it('fetches a time range of one key by window start, both ends inclusive, forward and backward', async () => {
        const { store, commit } = await openWindowStore(harness, caching)
        for (const start of [0, 10, 20]) store.put('k', `v${start}`, start)
        commit()
        for (const start of [30, 40]) store.put('k', `v${start}`, start)
        store.put('k', 'w10', 10)
        expect(starts(store.fetch('k', 10, 30))).toEqual(['10=w10', '20=v20', '30=v30'])
        expect(starts(store.backwardFetch('k', 10, 30))).toEqual(['30=v30', '20=v20', '10=w10'])
        expect(starts(store.fetch('k', 0, 100))).toEqual(['0=v0', '10=w10', '20=v20', '30=v30', '40=v40'])
        expect(starts(store.fetch('k', 41, 100))).toEqual([])
        expect(starts(store.fetch('k', 30, 10))).toEqual([])
      })

      it('keeps keys that are byte prefixes of each other apart', async () => {
        const { store, commit } = await openWindowStore(harness, caching)
        // 'a' + "\u0000..." sorts inside the byte range of 'a''s windows.
        store.put('a', 'short', 5)
        store.put('a\u0000\u0000\u0000\u0000\u0000\u0000\u0000', 'long', 0)
        store.put('a\u0000', 'mid', 7)
        commit()
        store.put('a', 'short2', 6)
        expect(starts(store.fetch('a', 0, 100))).toEqual(['5=short', '6=short2'])
        expect(starts(store.fetch('a\u0000', 0, 100))).toEqual(['7=mid'])
        expect(store.fetch('a', 0)).toBeUndefined()
      })

      it('fetches key ranges, all keys in a time range, and everything, in key-then-start order', async () => {
        const { store, commit } = await openWindowStore(harness, caching)
        store.put('b', 'b0', 0)
        store.put('a', 'a10', 10)
        commit()
        store.put('c', 'c20', 20)
        store.put('a', 'a0', 0)
        store.put('b', 'b20', 20)
        expect(windows(store.all())).toEqual(['a@0-10=a0', 'a@10-20=a10', 'b@0-10=b0', 'b@20-30=b20', 'c@20-30=c20'])
        expect(windows(store.backwardAll())).toEqual(['c@20-30=c20', 'b@20-30=b20', 'b@0-10=b0', 'a@10-20=a10', 'a@0-10=a0'])
        expect(windows(store.fetchAll(10, 20))).toEqual(['a@10-20=a10', 'b@20-30=b20', 'c@20-30=c20'])
        expect(windows(store.backwardFetchAll(0, 0))).toEqual(['b@0-10=b0', 'a@0-10=a0'])
        expect(windows(store.fetchRange('a', 'b', 0, 10))).toEqual(['a@0-10=a0', 'a@10-20=a10', 'b@0-10=b0'])
        expect(windows(store.fetchRange('b', undefined, 0, 100))).toEqual(['b@0-10=b0', 'b@20-30=b20', 'c@20-30=c20'])
        expect(windows(store.backwardFetchRange(undefined, 'a', 0, 100))).toEqual(['a@10-20=a10', 'a@0-10=a0'])
      })

      it("keeps windows a segment past the retention (Kafka's segments: max(retention / 2, 1 min)), then hides, refuses and sweeps them", async () => {
        // Retention 2 min: segments of 1 min; a window lives while its segment is not older than
        // the segment of (latest start − retention).
        const { store, commit, changelog } = await openWindowStore(harness, caching, 120_000)
        store.put('a', 'old', 0)
        store.put('b', 'kept', 60_000)
        commit()
        store.put('c', 'new', 150_000) // 150 000 − 120 000 is still in segment 0: the window at 0 lives
        expect(store.fetch('a', 0)).toBe('old')
        store.put('d', 'newer', 180_000) // segment 0 is dead now
        expect(store.fetch('a', 0)).toBeUndefined()
        expect(windows(store.all())).toEqual(['b@60000-60010=kept', 'c@150000-150010=new', 'd@180000-180010=newer'])
        store.put('a', 'again', 0)
        expect(windows(store.fetchAll(0, 1_000_000)).map((w) => w.split('@')[0])).toEqual(['b', 'c', 'd'])
        commit()
        const tombstones = changelog.filter((r) => r.deleted).map((r) => Buffer.from(r.key.subarray(0, r.key.length - 8)).toString())
        expect(tombstones).toEqual(['a'])
        expect(store.inner.approximateNumEntries()).toBe(3)
      })

      it('rejects negative or fractional times with a typed error', async () => {
        const { store } = await openWindowStore(harness, caching)
        expect(codeOfSync(() => store.put('a', 'v', -1))).toBe('STREAMS_ILLEGAL_STATE')
        expect(codeOfSync(() => store.fetch('a', 1.5, 3))).toBe('STREAMS_ILLEGAL_STATE')
      })

      it('agrees with a naive model over random puts, deletes, commits and range reads', async () => {
        const keys = ['', 'a', 'a\u0000', 'ab', 'b']
        const op = fc.oneof(
          fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom(...keys), start: fc.integer({ min: 0, max: 50 }), value: fc.option(fc.string({ maxLength: 3 }), { nil: null }) }),
          fc.record({ kind: fc.constant('commit' as const) }),
          fc.record({ kind: fc.constant('fetch' as const), key: fc.constantFrom(...keys), from: fc.integer({ min: 0, max: 50 }), to: fc.integer({ min: 0, max: 50 }), backward: fc.boolean() }),
          fc.record({ kind: fc.constant('fetchAll' as const), from: fc.integer({ min: 0, max: 50 }), to: fc.integer({ min: 0, max: 50 }) }),
        )
        const backend = await harness.openBackend()
        await fc.assert(
          fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
            const { store, commit } = await openWindowStore(harness, caching, 1_000_000, backend)
            const model = new Map<string, string>() // `${key}\u0001${start}` → value
            const modelKey = (key: string, start: number): string => `${key}\u0001${start}`
            const sorted = (): Array<{ key: string; start: number; value: string }> =>
              [...model]
                .map(([k, value]) => {
                  const [key, start] = k.split('\u0001') as [string, string]
                  return { key, start: Number(start), value }
                })
                // The store orders by its byte keys, key bytes then start: a key that is a byte prefix of
                // another can sort on either side of the other's windows (as in Kafka's layout).
                .sort((x, y) => Buffer.compare(storedKey(x.key, x.start), storedKey(y.key, y.start)))
            for (const o of ops) {
              if (o.kind === 'put') {
                store.put(o.key, o.value, o.start)
                if (o.value === null) model.delete(modelKey(o.key, o.start))
                else model.set(modelKey(o.key, o.start), o.value)
              } else if (o.kind === 'commit') {
                commit()
              } else if (o.kind === 'fetch') {
                const expected = sorted()
                  .filter((e) => e.key === o.key && e.start >= o.from && e.start <= o.to)
                  .map((e) => `${e.start}=${e.value}`)
                expect(starts(o.backward ? store.backwardFetch(o.key, o.from, o.to) : store.fetch(o.key, o.from, o.to))).toEqual(o.backward ? expected.reverse() : expected)
              } else {
                const expected = sorted()
                  .filter((e) => e.start >= o.from && e.start <= o.to)
                  .map((e) => `${e.key}@${e.start}-${e.start + 10}=${e.value}`)
                expect(windows(store.fetchAll(o.from, o.to))).toEqual(expected)
              }
            }
          }),
          { numRuns: 60 },
        )
      })
    })

    describe(`session store contract (${title})`, () => {
      const session = (key: string, startMs: number, endMs: number): Windowed<string> => ({ key, window: { startMs, endMs } })

      it('puts, fetches and removes sessions, committed or not', async () => {
        const { store, commit } = await openSessionStore(harness, caching)
        store.put(session('a', 10, 20), 'x')
        expect(store.fetchSession('a', 10, 20)).toBe('x')
        commit()
        expect(store.fetchSession('a', 10, 20)).toBe('x')
        expect(store.fetchSession('a', 10, 21)).toBeUndefined()
        store.remove(session('a', 10, 20))
        expect(store.fetchSession('a', 10, 20)).toBeUndefined()
        commit()
        expect(windows(store.fetch('a'))).toEqual([])
      })

      it('finds the sessions ending at or after a time and starting at or before another, ordered by end', async () => {
        const { store, commit } = await openSessionStore(harness, caching)
        store.put(session('k', 0, 5), 's1')
        store.put(session('k', 10, 12), 's2')
        commit()
        store.put(session('k', 20, 20), 's3')
        store.put(session('k', 30, 40), 's4')
        store.put(session('other', 10, 12), 'o')
        // A record at 16 with gap 5 merges sessions with end >= 11 and start <= 21.
        expect(windows(store.findSessions('k', 11, 21))).toEqual(['k@10-12=s2', 'k@20-20=s3'])
        expect(windows(store.backwardFindSessions('k', 11, 21))).toEqual(['k@20-20=s3', 'k@10-12=s2'])
        expect(windows(store.findSessions('k', 5, 0))).toEqual(['k@0-5=s1'])
        expect(windows(store.fetch('k'))).toEqual(['k@0-5=s1', 'k@10-12=s2', 'k@20-20=s3', 'k@30-40=s4'])
        expect(windows(store.backwardFetch('k')).at(0)).toBe('k@30-40=s4')
        expect(windows(store.all())).toEqual(['k@0-5=s1', 'k@10-12=s2', 'k@20-20=s3', 'k@30-40=s4', 'other@10-12=o'])
      })

      it('keeps keys that are byte prefixes of each other apart', async () => {
        const { store } = await openSessionStore(harness, caching)
        store.put(session('a', 1, 2), 'short')
        store.put(session('a\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000', 0, 0), 'long')
        expect(windows(store.fetch('a'))).toEqual(['a@1-2=short'])
        expect(windows(store.findSessions('a', 0, 100))).toEqual(['a@1-2=short'])
      })

      it('keeps sessions a segment past the retention, then hides and refuses them; rejects a session ending before it starts', async () => {
        const { store, commit } = await openSessionStore(harness, caching, 100_000)
        store.put(session('a', 0, 10), 'old')
        store.put(session('b', 70_000, 80_000), 'kept')
        commit()
        store.put(session('c', 100_000, 110_000), 'new') // 110 000 − 100 000 is in segment 0: 'a' lives
        expect(store.fetchSession('a', 0, 10)).toBe('old')
        store.put(session('c', 150_000, 160_000), 'newer') // segment 0 is dead now
        expect(store.fetchSession('a', 0, 10)).toBeUndefined()
        expect(windows(store.all())).toEqual(['b@70000-80000=kept', 'c@100000-110000=new', 'c@150000-160000=newer'])
        store.put(session('a', 0, 5), 'again')
        expect(windows(store.fetch('a'))).toEqual([])
        expect(codeOfSync(() => store.put(session('a', 10, 9), 'x'))).toBe('STREAMS_ILLEGAL_STATE')
        expect(codeOfSync(() => store.findSessions('a', -1, 10))).toBe('STREAMS_ILLEGAL_STATE')
      })

      it('agrees with a naive model over random puts, removes, commits and lookups', async () => {
        const keys = ['a', 'a\u0000', 'b']
        const bounds = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 10 }))
        const op = fc.oneof(
          fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom(...keys), bounds, value: fc.option(fc.string({ maxLength: 3 }), { nil: null }) }),
          fc.record({ kind: fc.constant('commit' as const) }),
          fc.record({ kind: fc.constant('find' as const), key: fc.constantFrom(...keys), earliestEnd: fc.integer({ min: 0, max: 50 }), latestStart: fc.integer({ min: 0, max: 50 }) }),
        )
        const backend = await harness.openBackend()
        await fc.assert(
          fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
            const { store, commit } = await openSessionStore(harness, caching, 1_000_000, backend)
            const model = new Map<string, { key: string; start: number; end: number; value: string }>()
            for (const o of ops) {
              if (o.kind === 'put') {
                const [start, length] = o.bounds
                const id = `${o.key}\u0001${start}\u0001${start + length}`
                store.put(session(o.key, start, start + length), o.value)
                if (o.value === null) model.delete(id)
                else model.set(id, { key: o.key, start, end: start + length, value: o.value })
              } else if (o.kind === 'commit') {
                commit()
              } else {
                const expected = [...model.values()]
                  .filter((s) => s.key === o.key && s.end >= o.earliestEnd && s.start <= o.latestStart)
                  .sort((x, y) => x.end - y.end || x.start - y.start)
                  .map((s) => `${s.key}@${s.start}-${s.end}=${s.value}`)
                expect(windows(store.findSessions(o.key, o.earliestEnd, o.latestStart))).toEqual(expected)
              }
            }
          }),
          { numRuns: 60 },
        )
      })
    })
  }
}
