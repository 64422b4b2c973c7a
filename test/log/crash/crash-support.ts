/**
 * Shared fixtures of the storage crash matrix (reliability-anchor.md §3(a)): a partition log or a
 * broker on a {@link FaultFileIO}, an index-free reader of segment bytes (the oracle), and a way
 * to collect per-case failures so one assertion reports every failing seed / cut point / bit.
 */
import { expect } from 'vitest'
import { ManualClock } from '../../../src/log/clock.js'
import { isMillraceError, type MillraceError } from '../../../src/log/errors.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { PartitionLog, type PartitionLogConfig } from '../../../src/log/storage/partition-log.js'
import { ReadBufferPool } from '../../../src/log/storage/read-pool.js'
import {
  BATCH_HEADER_BYTES,
  baseOffsetAt,
  batchSizeAt,
  lastOffsetDeltaAt,
  maxTimestampAt,
} from '../../../src/log/record/record-batch-v2.js'

/**
 * `MILLRACE_CRASH_SCALE=nightly` runs the nightly tier of reliability-anchor.md §5 (every byte of
 * the 1 MiB torn batch, 50,000 power-loss images, more bursts); the default is the CI tier, sized
 * to keep the whole crash matrix well under two minutes on two cores.
 */
export const NIGHTLY = process.env.MILLRACE_CRASH_SCALE === 'nightly'
/** Per-test timeout for sweeps: vitest's default in CI, generous at nightly scale. */
export const SWEEP_TIMEOUT_MS = NIGHTLY ? 4 * 60 * 60 * 1000 : 60_000

export const DATA_DIR = '/data'
export const PARTITION_DIR = '/data/t-0'

/** Small segments and a dense index, so every path (index entries, rolls) runs on little data. */
export const CRASH_LOG_CONFIG: PartitionLogConfig = {
  segmentBytes: 64 * 1024,
  segmentMs: Number.MAX_SAFE_INTEGER,
  segmentIndexBytes: 8 * 1024,
  indexIntervalBytes: 128,
  maxMessageBytes: 4 * 1024 * 1024,
  messageTimestampType: 'CreateTime',
  flushMessages: Number.MAX_SAFE_INTEGER,
}

export interface OpenLogOptions {
  recoveryPoint: number
  cleanShutdown: boolean
  config?: Partial<PartitionLogConfig>
  clock?: ManualClock
  dir?: string
}

/**
 * One read pool for every log a sweep opens: a pool allocates a 4 MiB slab, and tens of thousands
 * of recoveries would otherwise spend most of their time allocating and collecting slabs.
 */
const sharedReadPool = new ReadBufferPool()

/**
 * A FaultFileIO whose partition directory exists durably, as the broker leaves it after
 * createTopic (it fsyncs the data directory; a bare PartitionLog only fsyncs its own directory).
 */
export function newPartitionIO(): FaultFileIO {
  const io = new FaultFileIO()
  io.mkdir(PARTITION_DIR)
  io.syncDir('/')
  io.syncDir(DATA_DIR)
  return io
}

export function openCrashLog(io: FaultFileIO, options: OpenLogOptions): PartitionLog {
  return PartitionLog.open({
    io,
    dir: options.dir ?? PARTITION_DIR,
    topic: 't',
    partition: 0,
    config: { ...CRASH_LOG_CONFIG, ...options.config },
    clock: options.clock ?? new ManualClock(),
    recoveryPoint: options.recoveryPoint,
    cleanShutdown: options.cleanShutdown,
    readPool: sharedReadPool,
  })
}

/** What `action` threw, or undefined. */
export function thrown(action: () => unknown): unknown {
  try {
    action()
  } catch (err) {
    return err
  }
  return undefined
}

/** The rejection of `promise`, or undefined when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  return undefined
}

/** Asserts `err` is a MillraceError with `code` and returns it typed. */
export function expectCode(err: unknown, code: string, context = ''): MillraceError {
  expect(isMillraceError(err) ? err.code : describeError(err), context).toBe(code)
  return err as MillraceError
}

export function describeError(err: unknown): string {
  if (err === undefined) return 'no error'
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : String(err)
}

/** One batch as the index-free oracle sees it in a segment file. */
export interface FileBatch {
  position: number
  size: number
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
}

/**
 * Walks batch headers of an intact segment file (no index, no CRC: the oracle reads files the
 * test already knows to be whole). Stops at the first header that does not fit.
 */
export function batchesOfFile(bytes: Uint8Array): FileBatch[] {
  const out: FileBatch[] = []
  let pos = 0
  while (pos + BATCH_HEADER_BYTES <= bytes.length) {
    const size = batchSizeAt(bytes, pos)
    if (size < BATCH_HEADER_BYTES || pos + size > bytes.length) break
    const baseOffset = baseOffsetAt(bytes, pos) as number
    out.push({
      position: pos,
      size,
      baseOffset,
      lastOffset: baseOffset + lastOffsetDeltaAt(bytes, pos),
      maxTimestamp: maxTimestampAt(bytes, pos) ?? -1,
    })
    pos += size
  }
  return out
}

/** Every file below `dir` with its visible bytes, by path. */
export function filesUnder(io: FaultFileIO, dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>()
  for (const path of io.listAll()) {
    if (path.startsWith(`${dir}/`) && !path.endsWith('/')) out.set(path, io.readFile(path))
  }
  return out
}

/** Names the first difference between two file maps, or undefined when they are equal. */
export function diffFiles(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): string | undefined {
  const names = new Set([...a.keys(), ...b.keys()])
  for (const name of [...names].sort()) {
    const x = a.get(name)
    const y = b.get(name)
    if (x === undefined || y === undefined) return `${name} ${x === undefined ? 'appeared' : 'vanished'}`
    if (Buffer.compare(x, y) !== 0) return `${name} differs (${x.length} vs ${y.length} bytes)`
  }
  return undefined
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/**
 * Collects per-case failures (each naming its seed / cut point / bit) so a sweep reports every
 * failing case at once, and stays fast: one `expect` per sweep instead of one per case.
 */
export class Failures {
  private readonly list: string[] = []
  private total = 0
  constructor(private readonly limit = 40) {}

  add(message: string): void {
    this.total++
    if (this.list.length < this.limit) this.list.push(message)
  }

  /** Runs `check`; a thrown error or a returned string is recorded under `label`. */
  check(label: string, check: () => string | undefined): void {
    let problem: string | undefined
    try {
      problem = check()
    } catch (err) {
      problem = `threw ${describeError(err)}${err instanceof Error && !isMillraceError(err) ? `: ${err.stack ?? err.message}` : ''}`
    }
    if (problem !== undefined) this.add(`${label}: ${problem}`)
  }

  async checkAsync(label: string, check: () => Promise<string | undefined>): Promise<void> {
    let problem: string | undefined
    try {
      problem = await check()
    } catch (err) {
      problem = `threw ${describeError(err)}${err instanceof Error && !isMillraceError(err) ? `: ${err.stack ?? err.message}` : ''}`
    }
    if (problem !== undefined) this.add(`${label}: ${problem}`)
  }

  get count(): number {
    return this.total
  }

  /** One assertion for the whole sweep; the message lists the first failures and the total. */
  expectNone(): void {
    expect(this.total === 0 ? [] : [`${this.total} failing case(s)`, ...this.list]).toEqual([])
  }
}
