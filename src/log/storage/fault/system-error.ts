/**
 * Errors shaped like Node's system errors (`code`, `syscall`, `path`, message
 * `"<CODE>: <description>, <syscall> '<path>'"`), so code under test cannot tell an injected fault
 * from a real one. Tests assert `code`, never the message.
 */

/** Codes {@link FaultFileIO.failOn} can inject: the ways a real disk or kernel says no. */
export type InjectableErrorCode =
  | 'EIO'
  | 'ENOSPC'
  | 'EDQUOT'
  | 'EMFILE'
  | 'ENFILE'
  | 'EACCES'
  | 'EPERM'
  | 'EROFS'
  | 'EBUSY'
  | 'EINTR'
  | 'EAGAIN'

/**
 * Every code a FaultFileIO throws: the injectable ones, the ones file-system semantics produce,
 * and `ECRASHED` for any call on a simulated process that has crashed.
 */
export type FaultErrorCode =
  | InjectableErrorCode
  | 'ENOENT'
  | 'EEXIST'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'ENOTEMPTY'
  | 'EINVAL'
  | 'EBADF'
  | 'ECRASHED'

const DESCRIPTIONS: Readonly<Record<FaultErrorCode, string>> = {
  EIO: 'i/o error',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
  ENFILE: 'file table overflow',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EBUSY: 'resource busy or locked',
  EINTR: 'interrupted system call',
  EAGAIN: 'resource temporarily unavailable',
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  ENOTEMPTY: 'directory not empty',
  EINVAL: 'invalid argument',
  EBADF: 'bad file descriptor',
  ECRASHED: 'the simulated process has crashed',
}

export function systemError(
  code: FaultErrorCode,
  syscall: string,
  path: string,
  note?: string,
): NodeJS.ErrnoException {
  const suffix = note === undefined ? '' : ` (${note})`
  const err: NodeJS.ErrnoException = new Error(`${code}: ${DESCRIPTIONS[code]}, ${syscall} '${path}'${suffix}`)
  err.code = code
  err.syscall = syscall
  err.path = path
  return err
}

/** Node's own code for an out-of-range argument (`fs.readSync` into a too-small buffer, …). */
export function outOfRangeError(what: string, value: number): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new RangeError(`The value of "${what}" is out of range. Received ${value}`)
  err.code = 'ERR_OUT_OF_RANGE'
  return err
}
