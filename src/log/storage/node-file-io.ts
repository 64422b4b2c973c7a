import * as fs from 'node:fs'
import { resolve } from 'node:path'
import type { FileHandle, FileIO, FileLock, OpenOptions } from './file-io.js'

/** Lock files held by this process, so a second open of the same data dir in-process also fails. */
const heldLocks = new Set<string>()

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${message}`)
  err.code = code
  return err
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else — still a live holder.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

class NodeFileHandle implements FileHandle {
  private fd: number
  private length: number

  constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd
    this.length = fs.fstatSync(fd).size
  }

  size(): number {
    return this.length
  }

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    let done = 0
    while (done < length) {
      const n = fs.readSync(this.fd, target, targetOffset + done, length - done, position + done)
      if (n === 0) break
      done += n
    }
    return done
  }

  append(data: Uint8Array): void {
    let done = 0
    while (done < data.length) {
      done += fs.writeSync(this.fd, data, done, data.length - done, this.length + done)
    }
    this.length += data.length
  }

  writeAt(data: Uint8Array, position: number): void {
    let done = 0
    while (done < data.length) {
      done += fs.writeSync(this.fd, data, done, data.length - done, position + done)
    }
    if (position + data.length > this.length) this.length = position + data.length
  }

  truncate(size: number): void {
    fs.ftruncateSync(this.fd, size)
    this.length = size
  }

  sync(): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolvePromise()))
    })
  }

  syncNow(): void {
    fs.fdatasyncSync(this.fd)
  }

  close(): void {
    if (this.fd < 0) return
    fs.closeSync(this.fd)
    this.fd = -1
  }
}

/** {@link FileIO} on `node:fs`: the production implementation. */
export class NodeFileIO implements FileIO {
  open(path: string, options: OpenOptions = {}): FileHandle {
    // 'r+' never creates; 'a+' would force appends to the end even for writeAt, so create first.
    if (options.exclusive) {
      fs.closeSync(fs.openSync(path, 'wx'))
    } else if (options.create && !fs.existsSync(path)) {
      fs.closeSync(fs.openSync(path, 'a'))
    }
    return new NodeFileHandle(path, fs.openSync(path, 'r+'))
  }

  exists(path: string): boolean {
    return fs.existsSync(path)
  }

  size(path: string): number {
    return fs.statSync(path).size
  }

  list(dir: string): string[] {
    return fs.readdirSync(dir)
  }

  mkdir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true })
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to)
  }

  remove(path: string): void {
    fs.rmSync(path, { force: true })
  }

  removeDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true })
  }

  removeInBackground(path: string): Promise<void> {
    return fs.promises.rm(path, { recursive: true, force: true })
  }

  syncDir(dir: string): void {
    const fd = fs.openSync(dir, 'r')
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  }

  lock(path: string): FileLock {
    const key = resolve(path)
    if (heldLocks.has(key)) throw errnoError('EEXIST', `${path} is locked by this process`)
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(path, 'wx')
        fs.writeSync(fd, `${process.pid}\n`)
        fs.fsyncSync(fd)
        fs.closeSync(fd)
        heldLocks.add(key)
        let released = false
        return {
          path,
          release: () => {
            if (released) return
            released = true
            heldLocks.delete(key)
            fs.rmSync(path, { force: true })
          },
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        const holder = Number.parseInt(fs.readFileSync(path, 'utf8'), 10)
        // A lock left by a dead process (kill -9, power loss) is stale: take it over.
        if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
          throw errnoError('EEXIST', `${path} is locked by process ${holder}`)
        }
        fs.rmSync(path, { force: true })
      }
    }
    throw errnoError('EEXIST', `${path} could not be locked`)
  }
}
