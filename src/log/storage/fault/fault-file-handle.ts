import type { FileHandle } from '../file-io.js'
import type { DiskImage } from './disk-image.js'
import type { FileContent } from './file-content.js'
import type { FaultSchedule, InjectedFailure } from './fault-schedule.js'
import { outOfRangeError, systemError } from './system-error.js'

function assertByteCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw outOfRangeError(what, value)
}

/**
 * A handle on one inode of a FaultFileIO. It follows the inode, not the name: after a rename or a
 * remove it keeps reading and writing the same bytes (POSIX semantics; an unlinked inode's bytes
 * vanish from the next crash image). All handles of a file share its bytes and size.
 */
export class FaultFileHandle implements FileHandle {
  private closed = false

  constructor(
    private readonly schedule: FaultSchedule,
    private readonly disk: DiskImage,
    readonly path: string,
    private readonly content: FileContent,
  ) {}

  size(): number {
    this.assertOpen('fstat')
    return this.content.length
  }

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    assertByteCount('offset', targetOffset)
    assertByteCount('length', length)
    assertByteCount('position', position)
    if (targetOffset + length > target.length) throw outOfRangeError('length', length)
    this.assertOpen('read')
    this.schedule.enterOrThrow('read', [this.path], false)
    return this.content.read(target, targetOffset, length, position)
  }

  append(data: Uint8Array): void {
    this.assertOpen('append')
    const failure = this.schedule.enter('append', [this.path], true)
    this.write('append', this.content.length, data, failure)
  }

  writeAt(data: Uint8Array, position: number): void {
    assertByteCount('position', position)
    this.assertOpen('writeAt')
    const failure = this.schedule.enter('writeAt', [this.path], true)
    this.write('writeAt', position, data, failure)
  }

  truncate(size: number): void {
    assertByteCount('size', size)
    this.assertOpen('truncate')
    this.schedule.enterOrThrow('truncate', [this.path], true)
    const growth = size - this.content.length
    if (growth > 0 && growth > this.roomBytes()) throw systemError('ENOSPC', 'truncate', this.path)
    this.content.truncate(size)
  }

  /**
   * Resolves on a later macrotask; only then do the writes made before this call become durable.
   * If the process crashes first, it rejects with ECRASHED and nothing becomes durable. All
   * failures (EBADF, injected codes, ECRASHED) arrive as rejections, as from fs.fdatasync.
   */
  sync(): Promise<void> {
    let failure: InjectedFailure | undefined
    try {
      this.assertOpen('sync')
      failure = this.schedule.enter('sync', [this.path], true)
    } catch (err) {
      return Promise.reject(err as Error)
    }
    const through = this.content.seq
    return new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        if (this.schedule.isCrashed) {
          reject(systemError('ECRASHED', 'sync', this.path, 'crashed before the sync completed'))
        } else if (failure !== undefined) {
          reject(failure.error)
        } else {
          this.content.syncThrough(through)
          resolve()
        }
      })
    })
  }

  syncNow(): void {
    this.assertOpen('syncNow')
    this.schedule.enterOrThrow('syncNow', [this.path], true)
    this.content.syncAll()
  }

  close(): void {
    this.schedule.assertAlive('close', this.path)
    if (this.closed) return
    this.schedule.enterOrThrow('close', [this.path], false)
    this.closed = true
  }

  private assertOpen(syscall: string): void {
    this.schedule.assertAlive(syscall, this.path)
    if (this.closed) throw systemError('EBADF', syscall, this.path)
  }

  /**
   * Writes what the failure and the space limit allow. An injected failure writes nothing, or a
   * seeded-random prefix when partial; the space limit writes the bytes that fit (a short write,
   * as write(2) does) and then throws ENOSPC.
   */
  private write(op: 'append' | 'writeAt', position: number, data: Uint8Array, failure: InjectedFailure | undefined): void {
    let allowedBytes = data.length
    let error = failure?.error
    if (failure !== undefined) allowedBytes = failure.partial ? this.schedule.random.below(data.length) : 0
    const growth = position + allowedBytes - this.content.length
    if (growth > 0) {
      const room = Math.max(0, this.roomBytes())
      if (growth > room) {
        allowedBytes = Math.max(0, this.content.length + room - position)
        error ??= systemError('ENOSPC', op, this.path)
      }
    }
    this.content.write(position, data.subarray(0, allowedBytes))
    if (error !== undefined) throw error
  }

  private roomBytes(): number {
    const limit = this.schedule.spaceLimitBytes
    return limit === undefined ? Number.POSITIVE_INFINITY : limit - this.disk.usedBytes()
  }
}
