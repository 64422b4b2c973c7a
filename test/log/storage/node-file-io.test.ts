import * as fs from 'node:fs'
import * as os from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FileHandle, FileIO, OpenOptions } from '../../../src/log/storage/file-io.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { NodeFileIO } from '../../../src/log/storage/node-file-io.js'

/** One FileIO implementation under contract, with a fresh directory per test. */
interface Backend {
  readonly name: string
  setUp(): { io: FileIO; dir: string; tearDown(): void }
}

const backends: readonly Backend[] = [
  {
    name: 'NodeFileIO',
    setUp: () => {
      const dir = fs.mkdtempSync(join(os.tmpdir(), 'millrace-file-io-'))
      return { io: new NodeFileIO(), dir, tearDown: () => fs.rmSync(dir, { recursive: true, force: true }) }
    },
  },
  {
    name: 'FaultFileIO',
    setUp: () => {
      const io = new FaultFileIO()
      const dir = '/tmp/millrace-file-io'
      io.mkdir(dir)
      return { io, dir, tearDown: () => {} }
    },
  },
]

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function bytes(text: string): Uint8Array {
  return encoder.encode(text)
}

function codeOf(action: () => unknown): unknown {
  try {
    action()
  } catch (err) {
    return (err as NodeJS.ErrnoException).code
  }
  return 'no error'
}

describe.each(backends)('FileIO contract: $name', (backend) => {
  let io: FileIO
  let dir: string
  let tearDown: () => void
  let handles: FileHandle[]

  beforeEach(() => {
    ;({ io, dir, tearDown } = backend.setUp())
    handles = []
  })

  afterEach(() => {
    for (const handle of handles) handle.close()
    tearDown()
  })

  /** Opens a handle that afterEach closes. */
  function open(name: string, options?: OpenOptions): FileHandle {
    const handle = io.open(join(dir, name), options)
    handles.push(handle)
    return handle
  }

  function readAll(handle: FileHandle): string {
    const target = new Uint8Array(handle.size())
    handle.read(target, 0, target.length, 0)
    return decoder.decode(target)
  }

  it('creates a file with create, refuses a missing one without it and an existing one with exclusive', () => {
    expect(codeOf(() => open('f'))).toBe('ENOENT')
    open('f', { create: true })
    expect(io.exists(join(dir, 'f'))).toBe(true)
    open('f', { create: true })
    expect(codeOf(() => open('f', { exclusive: true }))).toBe('EEXIST')
    open('g', { exclusive: true })
    expect(io.exists(join(dir, 'g'))).toBe(true)
  })

  it('appends at the end and reads at any position, returning fewer bytes at the end of the file', () => {
    const handle = open('f', { create: true })
    handle.append(bytes('hello '))
    handle.append(bytes('world'))
    const target = new Uint8Array(8).fill(0x2e)
    expect(handle.read(target, 1, 5, 6)).toBe(5)
    expect(decoder.decode(target)).toBe('.world..')
    expect(handle.read(target, 0, 8, 9)).toBe(2)
    expect(handle.read(target, 0, 8, 11)).toBe(0)
  })

  it('overwrites in place with writeAt and extends the file when writing past its end', () => {
    const handle = open('f', { create: true })
    handle.append(bytes('abcdef'))
    handle.writeAt(bytes('XY'), 2)
    expect(readAll(handle)).toBe('abXYef')
    handle.writeAt(bytes('gh'), 6)
    expect(handle.size()).toBe(8)
    handle.append(bytes('!'))
    expect(readAll(handle)).toBe('abXYefgh!')
  })

  it('truncates, and appends after the cut', () => {
    const handle = open('f', { create: true })
    handle.append(bytes('abcdef'))
    handle.truncate(2)
    expect(handle.size()).toBe(2)
    handle.append(bytes('Z'))
    expect(readAll(handle)).toBe('abZ')
  })

  it('reports the same size through the handle, the path and a reopened handle', () => {
    const handle = open('f', { create: true })
    expect(handle.size()).toBe(0)
    handle.append(bytes('abc'))
    expect(handle.size()).toBe(3)
    expect(io.size(join(dir, 'f'))).toBe(3)
    expect(open('f').size()).toBe(3)
    expect(codeOf(() => io.size(join(dir, 'missing')))).toBe('ENOENT')
  })

  it('lists the names of a directory and creates nested directories', () => {
    open('a', { create: true })
    io.mkdir(join(dir, 'sub', 'deeper'))
    io.mkdir(join(dir, 'sub'))
    expect(io.list(dir).sort()).toEqual(['a', 'sub'])
    expect(io.list(join(dir, 'sub'))).toEqual(['deeper'])
    expect(io.exists(join(dir, 'sub', 'deeper'))).toBe(true)
    expect(codeOf(() => io.list(join(dir, 'missing')))).toBe('ENOENT')
  })

  it('renames a file, replacing an existing target', () => {
    open('a', { create: true }).append(bytes('new'))
    open('b', { create: true }).append(bytes('old'))
    io.rename(join(dir, 'a'), join(dir, 'b'))
    expect(io.exists(join(dir, 'a'))).toBe(false)
    expect(readAll(open('b'))).toBe('new')
    expect(codeOf(() => io.rename(join(dir, 'a'), join(dir, 'c')))).toBe('ENOENT')
  })

  it('removes a file and ignores a missing one', () => {
    open('a', { create: true })
    io.remove(join(dir, 'a'))
    expect(io.exists(join(dir, 'a'))).toBe(false)
    io.remove(join(dir, 'a'))
  })

  it('removes a directory tree and ignores a missing one', () => {
    io.mkdir(join(dir, 't', 'p-0'))
    open(join('t', 'p-0', '0.log'), { create: true }).append(bytes('x'))
    io.removeDir(join(dir, 't'))
    expect(io.exists(join(dir, 't'))).toBe(false)
    expect(io.list(dir)).toEqual([])
    io.removeDir(join(dir, 't'))
  })

  it('syncs files and directories', async () => {
    const handle = open('f', { create: true })
    handle.append(bytes('abc'))
    await expect(handle.sync()).resolves.toBeUndefined()
    handle.syncNow()
    io.syncDir(dir)
    expect(readAll(handle)).toBe('abc')
  })

  it('locks exclusively and can lock again after release', () => {
    const path = join(dir, '.lock')
    const lock = io.lock(path)
    expect(lock.path).toBe(path)
    expect(codeOf(() => io.lock(path))).toBe('EEXIST')
    lock.release()
    const again = io.lock(path)
    again.release()
  })
})
