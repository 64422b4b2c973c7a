/**
 * A pass-through {@link FileIO} that counts fdatasyncs and appends, so the durable figure can
 * say how many batches each group commit covered. It adds one call per operation and nothing else.
 */
import type { FileHandle, FileIO, FileLock, OpenOptions } from '../../src/log/storage/file-io.js'
import { NodeFileIO } from '../../src/log/storage/node-file-io.js'

export interface IoCounts {
  /** `FileHandle.sync()` calls (the asynchronous fdatasync group commit uses). */
  syncs: number
  /** `FileHandle.append()` calls on any file (segments and indexes). */
  appends: number
}

class CountingFileHandle implements FileHandle {
  constructor(
    private readonly inner: FileHandle,
    private readonly counts: IoCounts,
    private readonly io: CountingFileIO,
  ) {}

  get path(): string {
    return this.inner.path
  }

  size(): number {
    return this.inner.size()
  }

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    return this.inner.read(target, targetOffset, length, position)
  }

  append(data: Uint8Array): void {
    this.counts.appends++
    this.inner.append(data)
  }

  writeAt(data: Uint8Array, position: number): void {
    this.inner.writeAt(data, position)
  }

  truncate(size: number): void {
    this.inner.truncate(size)
  }

  sync(): Promise<void> {
    this.counts.syncs++
    this.io.onSync?.()
    return this.inner.sync()
  }

  syncNow(): void {
    this.inner.syncNow()
  }

  close(): void {
    this.inner.close()
  }
}

export class CountingFileIO implements FileIO {
  readonly counts: IoCounts = { syncs: 0, appends: 0 }
  /** Called as each `sync()` starts, before the fdatasync is issued. */
  onSync: (() => void) | undefined
  private readonly inner = new NodeFileIO()

  open(path: string, options?: OpenOptions): FileHandle {
    return new CountingFileHandle(this.inner.open(path, options), this.counts, this)
  }

  exists(path: string): boolean {
    return this.inner.exists(path)
  }

  size(path: string): number {
    return this.inner.size(path)
  }

  list(dir: string): string[] {
    return this.inner.list(dir)
  }

  mkdir(dir: string): void {
    this.inner.mkdir(dir)
  }

  rename(from: string, to: string): void {
    this.inner.rename(from, to)
  }

  remove(path: string): void {
    this.inner.remove(path)
  }

  removeDir(dir: string): void {
    this.inner.removeDir(dir)
  }
  removeInBackground(path: string): Promise<void> {
    return this.inner.removeInBackground(path)
  }

  syncDir(dir: string): void {
    this.inner.syncDir(dir)
  }

  lock(path: string): FileLock {
    return this.inner.lock(path)
  }
}
