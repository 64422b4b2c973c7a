import { RocksLevel } from '@nxtedition/rocksdb'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { BytesKeyValueBackend } from '../../../../src/streams/state/bytes-store.js'
import { CHANGELOG_OFFSET_KEY, META_COLUMN, decodeChangelogOffset, encodeChangelogOffset } from '../../../../src/streams/state/rocksdb/changelog-offset.js'
import { openRocksDbBackend, prefixEnd, type RocksDbKeyValueBackend } from '../../../../src/streams/state/rocksdb/rocksdb-backend.js'
import { ROCKSDB_RESOURCES_DEFAULTS, RocksDbResources } from '../../../../src/streams/state/rocksdb/rocksdb-resources.js'
import { keyValueBackendContract } from '../../../contracts/key-value-backend.contract.js'
import { codeOf, codeOfSync } from '../../../support/error-code.js'

const MiB = 1024 * 1024
const CHILD = fileURLToPath(new URL('./rocksdb-child.fixture.ts', import.meta.url))
const REPO = fileURLToPath(new URL('../../../../', import.meta.url))
/** One budget for the file's stores, as an app has: 8 slots of 8 MiB. */
const resources = new RocksDbResources({ memoryBudgetBytes: 64 * MiB, maxOpenStores: 8 })

/**
 * A temp directory owned by the calling test; at its end every backend opened through `open` is
 * closed, its native close awaited, and the directory removed.
 */
function scratch(): { dir: string; open(name?: string, options?: { dir?: string; resources?: RocksDbResources }): Promise<RocksDbKeyValueBackend> } {
  const root = mkdtempSync(join(tmpdir(), 'millrace-rocksdb-'))
  const opened: RocksDbKeyValueBackend[] = []
  onTestFinished(async () => {
    try {
      for (const backend of opened) backend.close()
      for (const backend of opened) await backend.whenReleased()
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
  const dir = join(root, 'store')
  return {
    dir,
    async open(name = 'store', options = {}) {
      const backend = await openRocksDbBackend({ name, dir: options.dir ?? dir, resources: options.resources ?? resources })
      opened.push(backend)
      return backend
    },
  }
}

/** Starts the fixture child; resolves once it prints a line matching `ready`. Killed at the test's end. */
function startChild(mode: 'hold' | 'write', dir: string, ready: (line: string) => boolean): { child: ChildProcess; ready: Promise<void>; lines: string[] } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, dir], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  onTestFinished(() => void child.kill('SIGKILL'))
  const lines: string[] = []
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const readyPromise = new Promise<void>((resolve, reject) => {
    let partial = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n')
      partial = parts.pop() ?? ''
      for (const line of parts) {
        lines.push(line)
        if (ready(line)) resolve()
      }
    })
    child.once('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before it was ready: ${stderr}`)))
  })
  return { child, ready: readyPromise, lines }
}

const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)

/** A store in `s.dir` holding one entry at offset 3, closed and released. */
async function closedStore(s: ReturnType<typeof scratch>): Promise<RocksDbKeyValueBackend> {
  const store = await s.open()
  store.write([{ key: b(1), value: b(1) }], 3)
  store.close()
  await store.whenReleased()
  return store
}
const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : Buffer.from(value).toString())

keyValueBackendContract({
  name: 'RocksDB',
  open: () => scratch().open('contract'),
  openIteratorCount: (backend: BytesKeyValueBackend) => (backend as RocksDbKeyValueBackend).openIteratorCount,
})

describe('RocksDbKeyValueBackend persistence', () => {
  it('keeps its data and committed offset across close and reopen, flushed files included', async () => {
    const s = scratch()
    const first = await s.open()
    const entries = Array.from({ length: 20_000 }, (_, i) => ({ key: Buffer.from(`key-${String(i).padStart(6, '0')}`), value: Buffer.alloc(100, i & 0xff) }))
    for (let i = 0; i < entries.length; i += 1000) first.write(entries.slice(i, i + 1000), i + 1000)
    first.write([{ key: entries[0]?.key as Buffer, value: null }], 20_001)
    first.write([{ key: Buffer.from('late'), value: Buffer.from('no offset') }], undefined)
    first.close()

    const second = await s.open()
    expect(second.persistent).toBe(true)
    expect(second.committedOffset()).toBe(20_001)
    expect(second.get(entries[0]?.key as Buffer)).toBeUndefined()
    expect(Buffer.from(second.get(entries[19_999]?.key as Buffer) as Uint8Array).equals(Buffer.alloc(100, 19_999 & 0xff))).toBe(true)
    expect(text(second.get(Buffer.from('late')))).toBe('no offset')
    let count = 0
    for (const { key } of second.prefixScan(Buffer.from('key-'))) if (key.length === 10) count++
    expect(count).toBe(19_999)
  })

  it('writes a batch and its changelog offset atomically: after kill -9 the data is exactly that of the recorded offset', async () => {
    const s = scratch()
    const { child, ready, lines } = startChild('write', s.dir, (line) => line === 'wrote 300')
    await ready
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    const lastPrinted = Math.max(...lines.filter((l) => l.startsWith('wrote ')).map((l) => Number(l.slice(6))))

    const store = await s.open()
    const offset = store.committedOffset() as number
    // Every batch whose write returned is in the log; the offset names the last one written.
    expect(offset).toBeGreaterThanOrEqual(lastPrinted + 1)
    expect(text(store.get(Buffer.from('counter')))).toBe(String(offset - 1))
    expect(store.get(Buffer.from(`key-${offset - 1}`))).toBeDefined()
    expect(store.get(Buffer.from(`key-${offset}`))).toBeUndefined()
    expect(store.getMany(Array.from({ length: offset }, (_, n) => Buffer.from(`key-${n}`))).every((v) => v !== undefined)).toBe(true)
  })

  it('fails to open a store whose recorded offset is corrupt, and frees its slot', async () => {
    const s = scratch()
    const raw = new RocksLevel(s.dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await raw.open({ createIfMissing: true, columns: { default: {}, [META_COLUMN]: {} } })
    const batch = raw._chainedBatch()
    batch._put(CHANGELOG_OFFSET_KEY, b(1, 2, 3), { column: raw.columns[META_COLUMN] as NonNullable<(typeof raw.columns)[string]> })
    batch._writeSync({})
    await raw.close()

    const own = new RocksDbResources({ memoryBudgetBytes: 4 * MiB, maxOpenStores: 1 })
    expect(await codeOf(() => s.open('corrupt', { resources: own }))).toBe('STREAMS_STATE_STORE_FAILED')
    expect(own.slotsInUse).toBe(0)
  })
})

describe('RocksDbKeyValueBackend directories', () => {
  it('refuses a second open of a directory that is open in this process', async () => {
    const s = scratch()
    await s.open()
    expect(await codeOf(() => s.open())).toBe('STREAMS_STATE_DIR_LOCKED')
  })

  it('refuses to open a directory that another process holds open', async () => {
    const s = scratch()
    const { ready } = startChild('hold', s.dir, (line) => line === 'open')
    await ready
    let error: unknown
    await s.open().catch((err: unknown) => (error = err))
    expect((error as { code?: string }).code).toBe('STREAMS_STATE_DIR_LOCKED')
    expect((error as { details?: { reason?: string } }).details?.reason).toBe('locked')
  })

  it('reopens a directory right after close, waiting for the native close to finish', async () => {
    const s = scratch()
    const first = await s.open()
    first.write([{ key: b(1), value: b(1) }], 5)
    first.close()
    const second = await s.open()
    expect(second.committedOffset()).toBe(5)
    await first.whenReleased()
  })

  it('removes its directory on destroy once released, and counts as destroyed at once', async () => {
    const s = scratch()
    const store = await s.open()
    store.write([{ key: b(1), value: b(1) }], 3)
    store.destroy()
    store.destroy()
    const reopened = s.open()
    await store.whenReleased()
    expect(existsSync(s.dir)).toBe(false)

    const fresh = await reopened
    expect(fresh.committedOffset()).toBeUndefined()
    expect(fresh.approximateNumEntries()).toBe(0)
  })

  it('destroys a store that was closed earlier', async () => {
    const s = scratch()
    const store = await closedStore(s)
    store.destroy()
    await store.whenReleased()
    expect(existsSync(s.dir)).toBe(false)
  })

  it('refuses to destroy a directory that was opened again after this backend released it', async () => {
    const s = scratch()
    const old = await closedStore(s)
    const current = await s.open()
    expect(codeOfSync(() => old.destroy())).toBe('STREAMS_STATE_DIR_LOCKED')
    current.write([{ key: b(1), value: b(2) }], 1)
    expect(current.get(b(1))?.[0]).toBe(2)
  })

  it('opens empty when a destroy was interrupted before its files were removed', async () => {
    const s = scratch()
    await closedStore(s)
    // What destroy() leaves when the process dies before the native close finishes.
    writeFileSync(join(s.dir, 'MILLRACE-DESTROYED'), '')
    const fresh = await s.open()
    expect(fresh.committedOffset()).toBeUndefined()
    expect(fresh.get(b(1))).toBeUndefined()
    expect(readdirSync(s.dir)).not.toContain('MILLRACE-DESTROYED')
  })

  it('rejects options without a name, a directory or resources with CONFIG_INVALID', async () => {
    expect(await codeOf(() => openRocksDbBackend({ name: '', dir: '', resources: {} as RocksDbResources }))).toBe('CONFIG_INVALID')
  })
})

describe('RocksDbResources', () => {
  it('splits the budget into equal slots of block cache and memtables', () => {
    const r = new RocksDbResources({ memoryBudgetBytes: 64 * MiB, maxOpenStores: 4, blockCacheRatio: 0.25 })
    // 16 MiB per store: 4 MiB of cache; memtables ≤ 1.5 × 8 MiB = 12 MiB.
    expect(r.storeBudget).toEqual({ blockCacheBytes: 4 * MiB, memtableBudgetBytes: 8 * MiB })
    const defaults = new RocksDbResources()
    expect(defaults.config).toEqual(ROCKSDB_RESOURCES_DEFAULTS)
    expect(defaults.storeBudget.blockCacheBytes).toBe(16 * MiB)
  })

  it('rejects an invalid config with CONFIG_INVALID listing every problem', () => {
    let error: unknown
    try {
      new RocksDbResources({ memoryBudgetBytes: -1, maxOpenStores: 0, blockCacheRatio: 1, ...({ bogus: 1 } as object) })
    } catch (err) {
      error = err
    }
    expect((error as { code?: string }).code).toBe('CONFIG_INVALID')
    expect((error as { problems?: unknown[] }).problems).toHaveLength(4)
    expect(codeOfSync(() => new RocksDbResources({ memoryBudgetBytes: 4 * MiB, maxOpenStores: 4 }))).toBe('CONFIG_INVALID')
  })

  it('fails an open when every slot belongs to an open store, and lets one wait for a closing store', async () => {
    const s = scratch()
    const two = new RocksDbResources({ memoryBudgetBytes: 4 * MiB, maxOpenStores: 2 })
    const first = await s.open('first', { dir: join(s.dir, 'a'), resources: two })
    await s.open('second', { dir: join(s.dir, 'b'), resources: two })
    expect(await codeOf(() => s.open('third', { dir: join(s.dir, 'c'), resources: two }))).toBe('STREAMS_STATE_STORE_FAILED')
    first.close()
    const third = await s.open('third', { dir: join(s.dir, 'c'), resources: two })
    expect(third.committedOffset()).toBeUndefined()
    expect(two.slotsInUse).toBe(2)
  })
})

describe('RocksDB changelog offset format', () => {
  it('encodes the offset as a big-endian int64', () => {
    expect(Buffer.from(encodeChangelogOffset(0x01_0203_0405)).toString('hex')).toBe('0000000102030405')
    expect(Buffer.from(encodeChangelogOffset(Number.MAX_SAFE_INTEGER)).toString('hex')).toBe('001fffffffffffff')
    expect(decodeChangelogOffset(Buffer.from('0000000102030405', 'hex'), 's')).toBe(0x01_0203_0405)
  })

  it('rejects values of the wrong size or out of range with STREAMS_STATE_STORE_FAILED', () => {
    for (const bad of ['01', '000000000000000000', 'ffffffffffffffff', '0020000000000000']) {
      expect(codeOfSync(() => decodeChangelogOffset(Buffer.from(bad, 'hex'), 's'))).toBe('STREAMS_STATE_STORE_FAILED')
    }
  })
})

describe('prefixEnd', () => {
  it('increments the last byte that is not 0xff, dropping the 0xff bytes after it', () => {
    const hex = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v).toString('hex'))
    expect(hex(prefixEnd(b(0x01, 0x02)))).toBe('0103')
    expect(hex(prefixEnd(b(0x01, 0xff, 0xff)))).toBe('02')
    expect(hex(prefixEnd(b(0x7f)))).toBe('80')
    expect(prefixEnd(b(0xff, 0xff))).toBeUndefined()
    expect(prefixEnd(b())).toBeUndefined()
  })
})
