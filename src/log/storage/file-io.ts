/**
 * The narrow interface through which ALL file I/O of the log passes, so tests can swap in a
 * fault-injecting implementation (power loss, torn writes, ENOSPC/EIO, crash at the N-th
 * operation). Nothing under `src/log` may import `node:fs` except the Node implementation.
 *
 * Design: appends and reads are synchronous. On this machine a page-cache `writeSync` of a 16 KiB
 * batch costs a few µs while a thread-pool round trip costs ~100 µs, so the write path stays on
 * the event loop; only `sync()` (fdatasync) is asynchronous, which is what lets group commit keep
 * accepting appends while a flush is in flight.
 *
 * Errors are thrown as the system errors they are (`code` = 'ENOSPC', 'EIO', 'ENOENT', …); the log
 * translates them to `LOG_IO_ERROR` at its boundary.
 */
export interface FileIO {
  /** Opens (and with `create`, creates) a regular file for reading and appending. */
  open(path: string, options?: OpenOptions): FileHandle
  /** True when a file or directory exists at `path`. */
  exists(path: string): boolean
  /** Size in bytes of the file at `path`. */
  size(path: string): number
  /** Names (not paths) of the entries of a directory, in no particular order. */
  list(dir: string): string[]
  /** Creates a directory and its missing parents. */
  mkdir(dir: string): void
  /** Atomically replaces `to` with `from` (POSIX rename); durable only after `syncDir`. */
  rename(from: string, to: string): void
  /** Removes a file; durable only after `syncDir`. Missing files are ignored. */
  remove(path: string): void
  /** Removes a directory and everything below it. Missing directories are ignored. */
  removeDir(dir: string): void
  /**
   * Removes a file or a directory tree on the thread pool. Unlinking a large file frees its page
   * cache synchronously (~190 ms per GiB here), so bulk deletions (retention, topic deletion) must
   * not run on the event loop. Missing paths are ignored. Durable only after `syncDir`.
   */
  removeInBackground(path: string): Promise<void>
  /** fsyncs a directory so that creations, renames and removals in it survive power loss. */
  syncDir(dir: string): void
  /**
   * Takes an exclusive lock on `path` (a lock file) for this process. Throws `EEXIST`-coded errors
   * when another live holder has it. Released by `FileLock.release()` or process death.
   */
  lock(path: string): FileLock
}

export interface OpenOptions {
  /** Create the file when missing (default false). */
  create?: boolean
  /** Fail with `EEXIST` when the file already exists (implies create). */
  exclusive?: boolean
}

/** An open file. One writer at a time; appends always go to the current end of the file. */
export interface FileHandle {
  readonly path: string
  /** Current size in bytes, including appends not yet synced. */
  size(): number
  /**
   * Reads up to `length` bytes at file `position` into `target[targetOffset…]`; returns the bytes
   * read (fewer at end of file).
   */
  read(target: Uint8Array, targetOffset: number, length: number, position: number): number
  /** Appends `data` at the end of the file (page cache; not durable until `sync`). */
  append(data: Uint8Array): void
  /** Writes `data` at `position` (overwriting). Used only for files rewritten in place. */
  writeAt(data: Uint8Array, position: number): void
  /** Cuts the file to `size` bytes. */
  truncate(size: number): void
  /** fdatasync on the thread pool: everything appended before the call is durable when it resolves. */
  sync(): Promise<void>
  /** fdatasync on the calling thread (metadata files, shutdown). */
  syncNow(): void
  close(): void
}

export interface FileLock {
  readonly path: string
  release(): void
}
