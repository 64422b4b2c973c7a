/**
 * Figure `backends`: the key-value store backends' synchronous API (src/streams/state/memory and
 * src/streams/state/rocksdb) on perf-anchor Part B (7)'s workload: 1M entries of 16 B random keys
 * and 100 B values, put in write batches of 1,000, then random gets of existing keys one at a
 * time, `getMany` of 1,000 keys, and a full ascending scan.
 *
 * Baseline: the same calls straight on `@nxtedition/rocksdb` with the binding's default options
 * (`RocksLevel` + `_writeSync` / `_getManySync` / `_nextvSync(1000)`), as perf-anchor measured it
 * (7a, 7e, 7f): the ratio shows what the backend's options and wrapper add or cost. The in-memory
 * backend is the ceiling of the same interface without native calls.
 *
 * Each round builds each store from scratch in a fresh directory; subjects interleave per round.
 */
import { RocksLevel } from '@nxtedition/rocksdb'
import { randomBytes } from 'node:crypto'
import { readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { BytesEntry, BytesKeyValueBackend } from '../../src/streams/state/bytes-store.js'
import { InMemoryKeyValueBackend } from '../../src/streams/state/memory/in-memory-backend.js'
import { openRocksDbBackend } from '../../src/streams/state/rocksdb/rocksdb-backend.js'
import { RocksDbResources } from '../../src/streams/state/rocksdb/rocksdb-resources.js'
import { MiB, describeScratch, envInt, fmtRate, heading, line, median, nowMs, printRatio, printTarget, printThroughput, withScratchDir, type Run } from '../support/harness.js'

const ENTRIES = envInt('BENCH_STATE_ENTRIES', 1_000_000)
const GETS = envInt('BENCH_STATE_GETS', 100_000)
const REPS = Math.max(3, envInt('BENCH_STATE_REPS', 3))
const BATCH = 1000
const KEY_BYTES = 16
const VALUE_BYTES = 100
const WARM_UP_ENTRIES = 100_000

/** One store under test, reduced to the calls the figure times. */
interface Store {
  write(batch: BytesEntry[]): void
  get(key: Uint8Array): Uint8Array | undefined
  getMany(keys: Uint8Array[]): (Uint8Array | undefined)[]
  /** Reads every entry in key order; returns how many. */
  scan(): number
  close(): Promise<void>
}

interface Subject {
  readonly label: string
  open(dir: string): Promise<Store>
}

function backendStore(backend: BytesKeyValueBackend, release: () => Promise<void>): Store {
  let offset = 0
  return {
    write: (batch) => backend.write(batch, (offset += batch.length)),
    get: (key) => backend.get(key),
    getMany: (keys) => backend.getMany(keys),
    scan() {
      let n = 0
      for (const entry of backend.range(undefined, undefined, false)) if (entry.value.length > 0) n++
      return n
    },
    async close() {
      backend.close()
      await release()
    },
  }
}

const resources = new RocksDbResources()
const subjects: Subject[] = [
  { label: 'in-memory', open: async () => backendStore(new InMemoryKeyValueBackend('bench'), async () => undefined) },
  {
    label: 'rocksdb backend',
    async open(dir) {
      const backend = await openRocksDbBackend({ name: 'bench', dir, resources })
      return backendStore(backend, () => backend.whenReleased())
    },
  },
  {
    label: 'baseline (raw binding)',
    async open(dir) {
      const db = new RocksLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
      await db.open({ createIfMissing: true })
      const batch = db._chainedBatch()
      return {
        write(entries) {
          for (const { key, value } of entries) batch._put(key, value as Uint8Array, {})
          batch._writeSync({})
          batch._clear()
        },
        get: (key) => db._getManySync([key], {})[0] ?? undefined,
        getMany: (keys) => db._getManySync(keys, {}).map((v) => v ?? undefined),
        scan() {
          const it = db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' })
          let n = 0
          for (let chunk = it._nextvSync(BATCH, {}); ; chunk = it._nextvSync(BATCH, {})) {
            for (let i = 1; i < chunk.rows.length; i += 2) if ((chunk.rows[i] as Buffer).length > 0) n++
            if (chunk.finished) break
          }
          void it.close()
          return n
        },
        close: () => db.close(),
      }
    },
  },
]

/** Per round and subject: one run per operation, and the store's size on disk. */
interface Round {
  put: Run
  get: Run
  getMany: Run
  scan: Run
  diskBytes: number
  heapBytes: number
}

const keyPool = randomBytes(KEY_BYTES * ENTRIES)
const valuePool = randomBytes(MiB)
const keyAt = (i: number): Uint8Array => keyPool.subarray(KEY_BYTES * i, KEY_BYTES * i + KEY_BYTES)
const valueAt = (i: number): Uint8Array => {
  const start = (i * 97) & 0xfff00
  return valuePool.subarray(start, start + VALUE_BYTES)
}
const getIndexes = Array.from({ length: GETS }, () => Math.floor(Math.random() * ENTRIES))
const run = (seconds: number, records: number): Run => ({ seconds, records, bytes: records * (KEY_BYTES + VALUE_BYTES) })

function putAll(store: Store, entries: number): Run {
  const t0 = nowMs()
  for (let first = 0; first < entries; first += BATCH) {
    const batch: BytesEntry[] = []
    for (let i = first; i < Math.min(first + BATCH, entries); i++) batch.push({ key: keyAt(i), value: valueAt(i) })
    store.write(batch)
  }
  return run((nowMs() - t0) / 1000, entries)
}

function getEach(store: Store, entries: number): Run {
  let found = 0
  const t0 = nowMs()
  for (const i of getIndexes) if (store.get(keyAt(i % entries)) !== undefined) found++
  const seconds = (nowMs() - t0) / 1000
  if (found !== getIndexes.length) throw new Error(`get found ${found} of ${getIndexes.length}`)
  return run(seconds, found)
}

function getManyOf(store: Store, entries: number): Run {
  let found = 0
  const t0 = nowMs()
  for (let first = 0; first < getIndexes.length; first += BATCH) {
    const keys = getIndexes.slice(first, first + BATCH).map((i) => keyAt(i % entries))
    for (const value of store.getMany(keys)) if (value !== undefined) found++
  }
  const seconds = (nowMs() - t0) / 1000
  if (found !== getIndexes.length) throw new Error(`getMany found ${found} of ${getIndexes.length}`)
  return run(seconds, found)
}

function scanAll(store: Store, entries: number): Run {
  const t0 = nowMs()
  const n = store.scan()
  const seconds = (nowMs() - t0) / 1000
  if (n !== entries) throw new Error(`scan read ${n} of ${entries}`)
  return run(seconds, n)
}

function dirBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? dirBytes(path) : statSync(path).size
  }
  return total
}

async function measure(subject: Subject, dir: string, entries: number): Promise<Round> {
  const storeDir = join(dir, 'store')
  const heapBefore = process.memoryUsage()
  const store = await subject.open(storeDir)
  let round: Omit<Round, 'diskBytes'>
  try {
    const put = putAll(store, entries)
    const heapAfter = process.memoryUsage()
    const heapBytes = heapAfter.heapUsed + heapAfter.arrayBuffers - (heapBefore.heapUsed + heapBefore.arrayBuffers)
    round = { put, get: getEach(store, entries), getMany: getManyOf(store, entries), scan: scanAll(store, entries), heapBytes }
  } finally {
    await store.close()
  }
  // Measured closed: compactions delete files while the database is open.
  const diskBytes = subject.label === 'in-memory' ? 0 : dirBytes(storeDir)
  rmSync(storeDir, { recursive: true, force: true })
  return { ...round, diskBytes }
}

await withScratchDir('state-backends', async (dir) => {
  heading('backends', 'key-value store backends, synchronous API (in-memory, RocksDB)', [
    `${ENTRIES.toLocaleString('en')} entries (${KEY_BYTES} B random keys, ${VALUE_BYTES} B values) put in batches of ${BATCH}; ` +
      `${GETS.toLocaleString('en')} random gets, the same keys as getMany of ${BATCH}; a full scan; ${REPS} rounds`,
    `rocksdb backend: one store with the default RocksDbResources slot (block cache ${resources.storeBudget.blockCacheBytes / MiB} MiB, ` +
      `memtableMemoryBudget ${(resources.storeBudget.memtableBudgetBytes / MiB).toFixed(1)} MiB, level compaction)`,
    `baseline: @nxtedition/rocksdb with its default options (8 MiB cache, 64 MiB write buffers, ZSTD), the perf-anchor (7) setup; ${describeScratch(dir)}`,
  ])
  for (const subject of subjects) await measure(subject, dir, Math.min(WARM_UP_ENTRIES, ENTRIES))
  const rounds = new Map<string, Round[]>(subjects.map((s) => [s.label, []]))
  for (let rep = 0; rep < REPS; rep++) {
    for (const subject of subjects) rounds.get(subject.label)?.push(await measure(subject, dir, ENTRIES))
  }

  const medians = new Map<string, Record<'put' | 'get' | 'getMany' | 'scan', number>>()
  for (const subject of subjects) {
    const rs = rounds.get(subject.label) ?? []
    line(`-- ${subject.label}`, '')
    medians.set(subject.label, {
      put: printThroughput(`  put (batches of ${BATCH})`, rs.map((r) => r.put)).recordsPerSecond,
      get: printThroughput('  get (one key per call)', rs.map((r) => r.get)).recordsPerSecond,
      getMany: printThroughput(`  getMany (${BATCH} keys per call)`, rs.map((r) => r.getMany)).recordsPerSecond,
      scan: printThroughput('  full scan (ascending)', rs.map((r) => r.scan)).recordsPerSecond,
    })
    const disk = median(rs.map((r) => r.diskBytes))
    const heap = median(rs.map((r) => r.heapBytes))
    line('  memory', `${disk > 0 ? `${(disk / MiB).toFixed(0)} MiB on disk; ` : ''}JS heap + ArrayBuffers grew ${(heap / MiB).toFixed(0)} MiB during the puts`)
  }

  const backend = medians.get('rocksdb backend')
  const raw = medians.get('baseline (raw binding)')
  if (backend !== undefined && raw !== undefined) {
    for (const op of ['put', 'get', 'getMany', 'scan'] as const) printRatio(`rocksdb backend ${op}`, backend[op], raw[op], 'of the raw binding')
    line('perf-anchor (7), raw binding', 'put 205k (7a), sync get 67k (7e), sync getMany 99k (7f) rec/s')
    printTarget({ metric: 'RocksDB put records/s (G10 restore)', value: backend.put, target: 200_000, direction: 'min', format: (v) => `${fmtRate(v)} rec/s` })
    printTarget({ metric: 'RocksDB getMany records/s (G8 reads)', value: backend.getMany, target: 80_000, direction: 'min', format: (v) => `${fmtRate(v)} rec/s` })
  }
})
