/**
 * FaultFileIO — an in-memory, deterministic {@link FileIO} for crash-consistency tests, modelled on
 * SQLite's crash VFS (src/test6.c) and RocksDB's FaultInjectionTestFS. Every crash test of the log
 * is built on it (DESIGN.md §2; reliability-anchor.md §2.4 option 1, §3(a)).
 *
 * ## Disk model
 * - Paths are POSIX strings; relative ones resolve against `/`. Parents must exist for open,
 *   create, rename and lock (ENOENT otherwise); `mkdir` creates missing parents.
 * - Files are inodes that directory entries point at. An open handle follows its inode: after a
 *   rename or remove it keeps reading and writing the same bytes (POSIX); an unlinked inode's bytes
 *   are gone from the next crash image.
 * - Every file has VISIBLE bytes (what reads return: the page cache), DURABLE bytes (as of its
 *   last completed sync) and the list of writes since (append, writeAt, truncate), in order.
 *   `syncNow()` makes all of them durable. `sync()` makes the writes issued BEFORE the call durable
 *   when its promise resolves, on a later macrotask (setImmediate); a crash first means they are
 *   not durable, and the promise rejects with ECRASHED.
 * - Every directory has its entries and its DURABLE entries (as of its last `syncDir`). Creating
 *   (open with create, lock, mkdir), renaming and removing change only the entries; syncing a file
 *   never makes its own entry durable. An operation is one atomic change group (a rename covers
 *   both names; rm -r is one change per entry); a change to a name already changed since the last
 *   `syncDir` joins that change's group, so create-then-rename survives whole or not at all. A
 *   rename across directories is durable half by half, as each directory is synced.
 * - Space is accounted by the visible length of reachable files (no sparse files).
 *
 * ## What survives which crash (each returns a NEW FaultFileIO holding the image)
 * | event                          | file bytes                                   | directory entries                         |
 * |--------------------------------|----------------------------------------------|-------------------------------------------|
 * | `processCrash()` (kill -9)     | all visible bytes — still unsynced           | all current entries — still unsynced      |
 * | `powerLoss()` or               | durable bytes only                           | durable entries only                      |
 * | `{ mode: 'drop-all-unsynced' }`|                                              |                                           |
 * | `powerLoss({ seed })` (random) | durable bytes, then each unsynced write in   | durable entries, then each unsynced change|
 * |                                | order kept, dropped or torn (1/3 each), each | group kept or reverted (1/2 each)         |
 * |                                | truncate kept or dropped (1/2 each)          |                                           |
 * A torn write keeps a prefix (possibly empty) of its data; from the cut to the end of the cut's
 * sector (`sectorBytes`, 4096 or 512), but never past the end of the write, the file then holds
 * zeros, 0xFF or noise, or simply ends at the cut. Bytes a write did not cover are never damaged
 * (power-safe overwrite), so an append-only file always recovers its durable bytes as a prefix.
 * With `sequential: true` a file's writes reach the disk in order: after the first dropped or torn
 * write the rest of that file's writes are dropped. A power-loss image is entirely durable.
 * Nothing else survives a crash: locks, handles and in-flight syncs belong to the dead process;
 * fault rules, the space limit and the crash point are not carried over; the operation count
 * restarts at 0. The crashed instance keeps its state, so one state can yield many images.
 *
 * ## Faults
 * - Crash point: `crashAtOperation(n)` — the n-th COUNTED operation (below) and every call after
 *   it throw ECRASHED without effect. `operationCount` is how many counted operations have run, so
 *   a sweep runs the workload once, then n = 1..total on fresh fixtures.
 * - Counted operations: open with create/exclusive, mkdir, rename, remove, removeDir, syncDir,
 *   lock, lock release, append, writeAt, truncate, sync, syncNow. Reads, size, list, exists, close
 *   and plain open are not counted.
 * - Dead: after a crash point, `processCrash()` or `powerLoss()`, every call on the instance, its
 *   handles and its locks throws ECRASHED. The test helpers (`readFile`, `listAll`, …) and the
 *   crash-image methods keep working.
 * - Injected errors: `failOn(rule)` throws Node-style errors (`code`, `syscall`, `path`) from
 *   matching calls. A failed call has no effect — except append/writeAt with `partial: true`,
 *   which first write a seeded-random prefix of the data (a short write; the handle's size
 *   includes it). A failed `sync` leaves its writes unsynced but intact (kinder than Linux, whose
 *   failed fsync may drop dirty pages for good: the log must treat it as fatal anyway).
 * - Space: `setSpaceLimitBytes(n)` — an append, writeAt or truncate that would grow the total past
 *   n writes the bytes that fit (as write(2) does before failing) and throws ENOSPC.
 *
 * One simulated process per instance; not safe for concurrent use from worker threads.
 */
import type { FileHandle, FileIO, FileLock, OpenOptions } from './file-io.js'
import { DiskImage, normalizePath } from './fault/disk-image.js'
import { FaultFileHandle } from './fault/fault-file-handle.js'
import type { FailOnRule, InjectedFault } from './fault/fault-schedule.js'
import { FaultSchedule } from './fault/fault-schedule.js'
import type { PowerLossOptions } from './fault/power-loss.js'
import { powerLossImage } from './fault/power-loss.js'
import { outOfRangeError, systemError } from './fault/system-error.js'

export type { FailOnRule, FaultOperation, InjectedFault } from './fault/fault-schedule.js'
export type { PowerLossOptions, SectorBytes } from './fault/power-loss.js'
export type { FaultErrorCode, InjectableErrorCode } from './fault/system-error.js'

export interface FaultFileIOOptions {
  /** Seeds the PRNG behind `partial` short writes (default 0). Images inherit it. */
  seed?: number
}

export interface WriteFileOptions {
  /**
   * True (default): the bytes and every directory entry along the path are durable at once.
   * False: as if the process had written them — unsynced entries, and two unsynced writes
   * (truncate to 0, write) that a power loss may drop or tear.
   */
  durable?: boolean
}

/** See the file comment for the disk model, what survives which crash, and the fault controls. */
export class FaultFileIO implements FileIO {
  private disk: DiskImage
  private readonly seed: number
  private readonly schedule: FaultSchedule
  /** Normalized paths of the lock files held by this (simulated) process. */
  private readonly heldLocks = new Set<string>()

  constructor(options: FaultFileIOOptions = {}) {
    this.seed = options.seed ?? 0
    this.schedule = new FaultSchedule(this.seed)
    this.disk = DiskImage.empty()
  }

  private static fromImage(disk: DiskImage, seed: number): FaultFileIO {
    const io = new FaultFileIO({ seed })
    io.disk = disk
    return io
  }

  // ---- FileIO ----------------------------------------------------------------------------------

  open(path: string, options: OpenOptions = {}): FileHandle {
    const exclusive = options.exclusive === true
    const creates = exclusive || options.create === true
    this.schedule.enterOrThrow('open', [path], creates)
    const file = creates ? this.disk.createFile(path, exclusive, 'open') : this.disk.lookupFile(path, 'open')
    return new FaultFileHandle(this.schedule, this.disk, path, file.content)
  }

  exists(path: string): boolean {
    this.schedule.assertAlive('exists', path)
    return this.disk.find(path) !== undefined
  }

  /** Size of a file; 0 for a directory. */
  size(path: string): number {
    this.schedule.enterOrThrow('size', [path], false)
    const node = this.disk.lookup(path, 'stat')
    return node.kind === 'file' ? node.content.length : 0
  }

  list(dir: string): string[] {
    this.schedule.enterOrThrow('list', [dir], false)
    return this.disk.list(dir)
  }

  mkdir(dir: string): void {
    this.schedule.enterOrThrow('mkdir', [dir], true)
    this.disk.mkdirp(dir)
  }

  rename(from: string, to: string): void {
    this.schedule.enterOrThrow('rename', [from, to], true)
    this.disk.rename(from, to)
  }

  /** Removes a file; missing files are ignored; a directory is EISDIR (use removeDir). */
  remove(path: string): void {
    this.schedule.enterOrThrow('remove', [path], true)
    this.disk.unlink(path, 'unlink')
  }

  removeDir(dir: string): void {
    this.schedule.enterOrThrow('removeDir', [dir], true)
    this.disk.removeTree(dir)
  }

  /**
   * `remove` or `removeDir` (whichever `path` is) on a later macrotask, counted and faulted like
   * them; a crash first rejects with ECRASHED and removes nothing.
   */
  async removeInBackground(path: string): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve))
    if (!this.exists(path)) return
    const isDir = this.listAll().includes(normalizePath(path) + '/')
    if (isDir) this.removeDir(path)
    else this.remove(path)
  }

  /** ENOENT when missing; ENOTDIR for a file (stricter than fsync on a file's fd). */
  syncDir(dir: string): void {
    this.schedule.enterOrThrow('syncDir', [dir], true)
    this.disk.syncDir(dir)
  }

  /**
   * Creates (or takes over) an empty lock file at `path`; EEXIST while this instance holds it. A
   * lock file left by a crashed process is stale and taken over, as NodeFileIO does.
   */
  lock(path: string): FileLock {
    this.schedule.enterOrThrow('lock', [path], true)
    const key = normalizePath(path)
    if (this.heldLocks.has(key)) throw systemError('EEXIST', 'lock', path, 'locked by this process')
    this.disk.createFile(path, false, 'lock')
    this.heldLocks.add(key)
    let released = false
    return {
      path,
      release: () => {
        this.schedule.assertAlive('release', path)
        if (released) return
        this.schedule.enterOrThrow('release', [path], true)
        released = true
        this.heldLocks.delete(key)
        this.disk.unlink(key, 'unlink')
      },
    }
  }

  // ---- fault controls --------------------------------------------------------------------------

  /** Registers an error-injection rule; see {@link FailOnRule}. Throws RangeError on bad counts. */
  failOn(rule: FailOnRule): InjectedFault {
    return this.schedule.failOn(rule)
  }

  /** Cancels every rule registered with {@link failOn}. */
  clearFaults(): void {
    this.schedule.clearFaults()
  }

  /** ENOSPC once reachable files would total more than `limitBytes`; `undefined` lifts the limit. */
  setSpaceLimitBytes(limitBytes: number | undefined): void {
    this.schedule.spaceLimitBytes = limitBytes
  }

  /**
   * The n-th counted operation since this instance was created (1-based, absolute: to crash k
   * operations from now, pass `operationCount + k`) and every call after it throw ECRASHED.
   * RangeError unless n > operationCount.
   */
  crashAtOperation(n: number): void {
    this.schedule.crashAtOperation(n)
  }

  /** Counted operations that have run (including ones that failed by injection or ENOSPC). */
  get operationCount(): number {
    return this.schedule.operationCount
  }

  /** True once the simulated process is dead. */
  get isCrashed(): boolean {
    return this.schedule.isCrashed
  }

  /** Total visible bytes of reachable files (what the space limit counts). */
  get usedBytes(): number {
    return this.disk.usedBytes()
  }

  /**
   * kill -9: kills this process (if alive) and returns the disk as the OS keeps it — every byte
   * written is visible, and what was unsynced stays unsynced (a later power loss may drop it).
   */
  processCrash(): FaultFileIO {
    this.schedule.crashNow()
    return FaultFileIO.fromImage(this.disk.clone(), this.seed)
  }

  /**
   * Power cut: kills this process (if alive) and returns what the disk holds. Without options, or
   * with `mode: 'drop-all-unsynced'`, exactly the durable state (the deterministic worst case);
   * with `{ seed }` (mode 'random'), the seeded mix described in the file comment.
   */
  powerLoss(options?: PowerLossOptions): FaultFileIO {
    this.schedule.crashNow()
    return FaultFileIO.fromImage(powerLossImage(this.disk, options), this.seed)
  }

  // ---- test helpers: inspect or damage the image (never counted, never faulted, work when dead) -

  /** A copy of the visible bytes of the file at `path`. */
  readFile(path: string): Uint8Array {
    return this.disk.lookupFile(path, 'open').content.visibleView().slice()
  }

  /** Puts `bytes` at `path` (creating missing parents), durably unless `durable: false`. */
  writeFile(path: string, bytes: Uint8Array, options: WriteFileOptions = {}): void {
    this.disk.putFile(path, bytes, options.durable ?? true)
  }

  /** Media damage: flips `bit` (0–7) of the byte at `byteOffset`, in its visible and durable copy. */
  flipBit(path: string, byteOffset: number, bit: number): void {
    const content = this.disk.lookupFile(path, 'open').content
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset >= content.length) {
      throw outOfRangeError('byteOffset', byteOffset)
    }
    if (!Number.isInteger(bit) || bit < 0 || bit > 7) throw outOfRangeError('bit', bit)
    content.flipBit(byteOffset, bit)
  }

  /** Media damage: loses the file's tail from `sizeBytes` (≤ its length), visible and durable. */
  truncateFile(path: string, sizeBytes: number): void {
    const content = this.disk.lookupFile(path, 'open').content
    if (!Number.isInteger(sizeBytes) || sizeBytes < 0 || sizeBytes > content.length) {
      throw outOfRangeError('sizeBytes', sizeBytes)
    }
    content.damageTruncate(sizeBytes)
  }

  /** Every reachable file and directory, sorted, as absolute paths; directories end in `/`. */
  listAll(): string[] {
    return this.disk.listAll()
  }
}
