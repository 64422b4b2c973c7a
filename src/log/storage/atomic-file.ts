import { dirname } from 'node:path'
import { logError, type LogError } from '../errors.js'
import type { FileHandle, FileIO } from './file-io.js'

/**
 * Whole-file writes and reads for small metadata files (checkpoints, `meta.json`), through
 * {@link FileIO} so crash tests can inject power loss and torn writes.
 *
 * Errors: file-system failures are translated here, once, into `LOG_IO_ERROR` with
 * `details.file` and `details.operation`, keeping the system error as `cause`. When cleanup after
 * a failure also fails, the first error stays the `cause` and the second is named in
 * `details.cleanupError`.
 */

/** Suffix of the temporary file; a leftover one is garbage from an interrupted write. */
export const ATOMIC_TEMP_SUFFIX = '.tmp'

function ioError(operation: string, file: string, cause: unknown, cleanupError?: unknown): LogError {
  const causeCode = (cause as NodeJS.ErrnoException | undefined)?.code
  return logError(
    'LOG_IO_ERROR',
    `${operation} of ${file} failed${causeCode === undefined ? '' : ` (${causeCode})`}`,
    {
      file,
      operation,
      cleanupError: cleanupError === undefined ? undefined : describeError(cleanupError),
    },
    cause,
  )
}

function describeError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (typeof code === 'string') return code
  return err instanceof Error ? err.message : String(err)
}

/**
 * Replaces the file at `path` with `bytes` so that, after a crash or power loss at any point, the
 * file holds either its complete old content or the complete new content — never a mix, never a
 * prefix. The steps, and why each is needed:
 *
 * 1. Open `<path>.tmp`, creating it, and truncate it to 0 bytes if it already exists: a previous
 *    write may have died and left a longer temp file, and `append` writes at its end.
 * 2. Append `bytes`.
 * 3. `syncNow()` the temp file: its data must be durable BEFORE the rename is, or a power loss
 *    could persist the rename but not the data, leaving an empty or partial file under the real
 *    name (the classic ext4 delayed-allocation zero-length-file failure).
 * 4. Close it: the handle is no longer needed, and no descriptor may leak on any path.
 * 5. `rename` the temp file over `path`: POSIX rename replaces the directory entry atomically, so
 *    readers see the old file or the new one.
 * 6. `syncDir` the parent directory: the rename changes the directory, not the file, and is only
 *    durable once the directory is fsynced. Until then a crash may bring back the old file —
 *    acceptable, it is still whole — but the caller must not act as if the new content were
 *    durable before this returns.
 *
 * The parent directory must exist. One writer per `path` at a time (the caller serialises).
 *
 * @throws MillraceError `LOG_IO_ERROR` (with the system error as `cause`) when a step fails; the
 *   old content of `path` is then intact, and the temp file is best-effort removed.
 */
export function writeFileAtomic(io: FileIO, path: string, bytes: Uint8Array): void {
  const tempPath = path + ATOMIC_TEMP_SUFFIX
  let handle: FileHandle
  try {
    handle = io.open(tempPath, { create: true })
  } catch (err) {
    throw ioError('open', tempPath, err)
  }

  let operation = 'truncate'
  try {
    if (handle.size() > 0) handle.truncate(0)
    operation = 'write'
    handle.append(bytes)
    operation = 'sync'
    handle.syncNow()
  } catch (err) {
    throw withCleanup(operation, tempPath, err, () => {
      handle.close()
      // The temp file is garbage now; removing it is tidy but not needed for correctness, since
      // the next write truncates it and readers never look at it.
      io.remove(tempPath)
    })
  }

  try {
    handle.close()
  } catch (err) {
    throw withCleanup('close', tempPath, err, () => io.remove(tempPath))
  }

  try {
    io.rename(tempPath, path)
  } catch (err) {
    throw withCleanup('rename', tempPath, err, () => io.remove(tempPath))
  }

  const dir = dirname(path)
  try {
    io.syncDir(dir)
  } catch (err) {
    // The rename happened but may not be durable; nothing to clean up.
    throw ioError('sync directory', dir, err)
  }
}

/** Runs `cleanup` after a failed step and returns the error to throw, keeping both failures. */
function withCleanup(operation: string, file: string, err: unknown, cleanup: () => void): LogError {
  try {
    cleanup()
  } catch (cleanupErr) {
    return ioError(operation, file, err, cleanupErr)
  }
  return ioError(operation, file, err)
}

/**
 * Reads the whole file at `path`. Returns `undefined` when the file does not exist (absence is
 * not an error: a checkpoint that was never written).
 *
 * @throws MillraceError `LOG_IO_ERROR` for any other failure.
 */
export function readFileFully(io: FileIO, path: string): Uint8Array | undefined {
  let handle: FileHandle
  try {
    handle = io.open(path)
  } catch (err) {
    // Open-and-catch rather than exists-then-open: no window for the file to vanish in between.
    if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined
    throw ioError('open', path, err)
  }

  let bytes: Uint8Array
  try {
    const size = handle.size()
    bytes = new Uint8Array(size)
    const read = handle.read(bytes, 0, size, 0)
    // A concurrent truncation is the only way to read less; report what was actually there.
    if (read < size) bytes = bytes.subarray(0, read)
  } catch (err) {
    throw withCleanup('read', path, err, () => handle.close())
  }

  try {
    handle.close()
  } catch (err) {
    throw ioError('close', path, err)
  }
  return bytes
}

/**
 * `mkdir -p` that survives a power loss: a directory's entry lives in its parent, so the parent
 * of every directory created here is fsynced. Without it a power loss can take a freshly created
 * data directory with everything in it — meta.json, checkpoints, every durably acked record —
 * although each file inside was fsynced (ALICE's missing-directory-fsync pattern).
 */
export function mkdirDurable(io: FileIO, dir: string): void {
  const created: string[] = []
  for (let d = dir; !io.exists(d); ) {
    created.push(d)
    const parent = dirname(d)
    if (parent === d) break
    d = parent
  }
  io.mkdir(dir)
  for (const d of created.reverse()) io.syncDir(dirname(d))
}
