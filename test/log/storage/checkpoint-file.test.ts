import * as fs from 'node:fs'
import * as os from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MillraceError } from '../../../src/log/errors.js'
import { ATOMIC_TEMP_SUFFIX, readFileFully, writeFileAtomic } from '../../../src/log/storage/atomic-file.js'
import {
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
  type OffsetCheckpointEntry,
} from '../../../src/log/storage/checkpoint-file.js'
import type { FileHandle, FileIO, FileLock, OpenOptions } from '../../../src/log/storage/file-io.js'
import { NodeFileIO } from '../../../src/log/storage/node-file-io.js'

type Operation = 'open' | 'truncate' | 'append' | 'syncNow' | 'close' | 'rename' | 'remove' | 'syncDir' | 'read'

function errno(code: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: injected`)
  err.code = code
  return err
}

/**
 * A FileIO double over NodeFileIO that records the operations the code under test performs and
 * fails the chosen ones with a chosen errno code.
 */
class RecordingFailingFileIO implements FileIO {
  readonly log: string[] = []
  private readonly failures = new Map<Operation, string>()

  constructor(private readonly inner: FileIO) {}

  failOn(operation: Operation, code: string): this {
    this.failures.set(operation, code)
    return this
  }

  private step(operation: Operation, path: string): void {
    this.log.push(`${operation} ${path}`)
    const code = this.failures.get(operation)
    if (code !== undefined) throw errno(code)
  }

  open(path: string, options?: OpenOptions): FileHandle {
    this.step('open', path)
    const handle = this.inner.open(path, options)
    const step = (operation: Operation): void => this.step(operation, path)
    return {
      path: handle.path,
      size: () => handle.size(),
      read: (target, targetOffset, length, position) => {
        step('read')
        return handle.read(target, targetOffset, length, position)
      },
      append: (data) => {
        step('append')
        handle.append(data)
      },
      writeAt: (data, position) => handle.writeAt(data, position),
      truncate: (size) => {
        step('truncate')
        handle.truncate(size)
      },
      sync: () => handle.sync(),
      syncNow: () => {
        step('syncNow')
        handle.syncNow()
      },
      close: () => {
        // Always release the descriptor, even when the close is made to "fail".
        handle.close()
        step('close')
      },
    }
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
    this.step('rename', `${from} -> ${to}`)
    this.inner.rename(from, to)
  }
  remove(path: string): void {
    this.step('remove', path)
    this.inner.remove(path)
  }
  removeDir(dir: string): void {
    this.inner.removeDir(dir)
  }
  removeInBackground(path: string): Promise<void> {
    return this.inner.removeInBackground(path)
  }
  syncDir(dir: string): void {
    this.step('syncDir', dir)
    this.inner.syncDir(dir)
  }
  lock(path: string): FileLock {
    return this.inner.lock(path)
  }
}

function errorOf(fn: () => unknown): MillraceError {
  try {
    fn()
  } catch (err) {
    if (err instanceof MillraceError) return err
    throw err
  }
  throw new Error('expected a MillraceError')
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

let dir: string
let io: NodeFileIO

beforeEach(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'millrace-checkpoint-'))
  io = new NodeFileIO()
})

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('writeFileAtomic', () => {
  it('creates the file with exactly the given bytes and leaves no temp file', () => {
    const path = join(dir, 'meta.json')
    writeFileAtomic(io, path, text('{"v":1}'))
    expect(fs.readFileSync(path, 'utf8')).toBe('{"v":1}')
    expect(fs.readdirSync(dir)).toEqual(['meta.json'])
  })

  it('replaces a longer file completely', () => {
    const path = join(dir, 'meta.json')
    fs.writeFileSync(path, 'x'.repeat(1000))
    writeFileAtomic(io, path, text('short'))
    expect(fs.readFileSync(path, 'utf8')).toBe('short')
  })

  it('truncates a longer temp file left behind by an interrupted write', () => {
    const path = join(dir, 'meta.json')
    fs.writeFileSync(path + ATOMIC_TEMP_SUFFIX, 'garbage from a crash '.repeat(50))
    writeFileAtomic(io, path, text('new'))
    expect(fs.readFileSync(path, 'utf8')).toBe('new')
    expect(fs.existsSync(path + ATOMIC_TEMP_SUFFIX)).toBe(false)
  })

  it('writes an empty file', () => {
    const path = join(dir, 'empty')
    writeFileAtomic(io, path, new Uint8Array(0))
    expect(fs.statSync(path).size).toBe(0)
  })

  it('writes the temp file, syncs and closes it, renames it, then syncs the directory, in that order', () => {
    const path = join(dir, 'cp')
    const tmp = path + ATOMIC_TEMP_SUFFIX
    fs.writeFileSync(tmp, 'stale')
    const recorder = new RecordingFailingFileIO(io)
    writeFileAtomic(recorder, path, text('data'))
    expect(recorder.log).toEqual([
      `open ${tmp}`,
      `truncate ${tmp}`,
      `append ${tmp}`,
      `syncNow ${tmp}`,
      `close ${tmp}`,
      `rename ${tmp} -> ${path}`,
      `syncDir ${dir}`,
    ])
  })

  it.each<Operation>(['append', 'syncNow', 'close', 'rename'])(
    'keeps the old content and removes the temp file when %s fails',
    (operation) => {
      const path = join(dir, 'cp')
      fs.writeFileSync(path, 'old')
      const failing = new RecordingFailingFileIO(io).failOn(operation, 'EIO')
      const err = errorOf(() => writeFileAtomic(failing, path, text('new')))
      expect(err.code).toBe('LOG_IO_ERROR')
      expect((err.cause as NodeJS.ErrnoException).code).toBe('EIO')
      expect(err.details.file).toBe(path + ATOMIC_TEMP_SUFFIX)
      expect(err.details.cleanupError).toBeUndefined()
      expect(fs.readFileSync(path, 'utf8')).toBe('old')
      expect(fs.existsSync(path + ATOMIC_TEMP_SUFFIX)).toBe(false)
    },
  )

  it('reports ENOSPC from the write as LOG_IO_ERROR with the system error as cause', () => {
    const failing = new RecordingFailingFileIO(io).failOn('append', 'ENOSPC')
    const err = errorOf(() => writeFileAtomic(failing, join(dir, 'cp'), text('x')))
    expect(err.code).toBe('LOG_IO_ERROR')
    expect(err.details.operation).toBe('write')
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOSPC')
  })

  it('keeps both errors when cleanup after a failed sync also fails', () => {
    const failing = new RecordingFailingFileIO(io).failOn('syncNow', 'EIO').failOn('remove', 'EACCES')
    const err = errorOf(() => writeFileAtomic(failing, join(dir, 'cp'), text('x')))
    expect(err.code).toBe('LOG_IO_ERROR')
    expect(err.details.operation).toBe('sync')
    expect((err.cause as NodeJS.ErrnoException).code).toBe('EIO')
    expect(err.details.cleanupError).toBe('EACCES')
  })

  it('reports a failed directory sync after the rename as LOG_IO_ERROR naming the directory', () => {
    const path = join(dir, 'cp')
    const failing = new RecordingFailingFileIO(io).failOn('syncDir', 'EIO')
    const err = errorOf(() => writeFileAtomic(failing, path, text('new')))
    expect(err.code).toBe('LOG_IO_ERROR')
    expect(err.details.file).toBe(dir)
    expect(fs.readFileSync(path, 'utf8')).toBe('new')
  })

  it('fails with LOG_IO_ERROR when the parent directory does not exist', () => {
    const err = errorOf(() => writeFileAtomic(io, join(dir, 'missing', 'cp'), text('x')))
    expect(err.code).toBe('LOG_IO_ERROR')
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT')
  })
})

describe('readFileFully', () => {
  it('returns undefined for a missing file', () => {
    expect(readFileFully(io, join(dir, 'nope'))).toBeUndefined()
  })

  it('returns every byte of the file', () => {
    const path = join(dir, 'f')
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => i % 251)
    fs.writeFileSync(path, bytes)
    expect(readFileFully(io, path)).toEqual(bytes)
  })

  it('returns an empty array for an empty file', () => {
    const path = join(dir, 'f')
    fs.writeFileSync(path, '')
    expect(readFileFully(io, path)).toEqual(new Uint8Array(0))
  })

  it('reports a read error as LOG_IO_ERROR and closes the file', () => {
    const path = join(dir, 'f')
    fs.writeFileSync(path, 'abc')
    const failing = new RecordingFailingFileIO(io).failOn('read', 'EIO')
    const err = errorOf(() => readFileFully(failing, path))
    expect(err.code).toBe('LOG_IO_ERROR')
    expect(err.details.file).toBe(path)
    expect(failing.log).toContain(`close ${path}`)
  })

  it('reports an open error other than ENOENT as LOG_IO_ERROR', () => {
    const failing = new RecordingFailingFileIO(io).failOn('open', 'EACCES')
    expect(errorOf(() => readFileFully(failing, join(dir, 'f'))).code).toBe('LOG_IO_ERROR')
  })
})

describe('offset checkpoint files', () => {
  it("writes Kafka's text format, sorted by topic then partition", () => {
    const path = join(dir, 'recovery-point-offset-checkpoint')
    writeOffsetCheckpoint(io, path, [
      { topic: 'orders', partition: 10, offset: 7 },
      { topic: 'orders', partition: 2, offset: 5 },
      { topic: 'audit.log-v2', partition: 0, offset: 0 },
    ])
    expect(fs.readFileSync(path, 'utf8')).toBe('0\n3\naudit.log-v2 0 0\norders 2 5\norders 10 7\n')
  })

  it('accepts a map keyed by <topic>-<partition>, splitting at the last dash', () => {
    const path = join(dir, 'cp')
    writeOffsetCheckpoint(
      io,
      path,
      new Map([
        ['my-topic-3', 42],
        ['a-0', 9007199254740991],
      ]),
    )
    expect(fs.readFileSync(path, 'utf8')).toBe('0\n2\na 0 9007199254740991\nmy-topic 3 42\n')
    expect(readOffsetCheckpoint(io, path)).toEqual([
      { topic: 'a', partition: 0, offset: 9007199254740991 },
      { topic: 'my-topic', partition: 3, offset: 42 },
    ])
  })

  it('writes an empty checkpoint as version and a zero count', () => {
    const path = join(dir, 'cp')
    writeOffsetCheckpoint(io, path, [])
    expect(fs.readFileSync(path, 'utf8')).toBe('0\n0\n')
    expect(readOffsetCheckpoint(io, path)).toEqual([])
  })

  it('keeps the last of several list entries for the same partition', () => {
    const path = join(dir, 'cp')
    writeOffsetCheckpoint(io, path, [
      { topic: 't', partition: 0, offset: 1 },
      { topic: 't', partition: 0, offset: 2 },
    ])
    expect(readOffsetCheckpoint(io, path)).toEqual([{ topic: 't', partition: 0, offset: 2 }])
  })

  it('reads a missing checkpoint as empty', () => {
    expect(readOffsetCheckpoint(io, join(dir, 'never-written'))).toEqual([])
  })

  it('reads a file written by Kafka', () => {
    const path = join(dir, 'cp')
    fs.writeFileSync(path, '0\n2\n__consumer_offsets 17 1203\npayments 0 88\n')
    expect(readOffsetCheckpoint(io, path)).toEqual([
      { topic: '__consumer_offsets', partition: 17, offset: 1203 },
      { topic: 'payments', partition: 0, offset: 88 },
    ])
  })

  it('round-trips any set of entries (property)', () => {
    const entry = fc.record({
      topic: fc.stringMatching(/^[a-zA-Z0-9._-]{1,30}$/).filter((t) => t !== '.' && t !== '..'),
      partition: fc.integer({ min: 0, max: 0x7fff_ffff }),
      offset: fc.maxSafeNat(),
    })
    let n = 0
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => `${e.topic}-${e.partition}`, maxLength: 20 }), (entries) => {
        const path = join(dir, `prop-${n++}`)
        writeOffsetCheckpoint(io, path, entries)
        const sortKey = (e: OffsetCheckpointEntry): [string, number] => [e.topic, e.partition]
        const byTopicPartition = (a: OffsetCheckpointEntry, b: OffsetCheckpointEntry): number => {
          const [ta, pa] = sortKey(a)
          const [tb, pb] = sortKey(b)
          return ta < tb ? -1 : ta > tb ? 1 : pa - pb
        }
        expect(readOffsetCheckpoint(io, path)).toEqual([...entries].sort(byTopicPartition))
      }),
      { numRuns: 100 },
    )
  })

  it.each<[string, string | Uint8Array]>([
    ['an empty file', ''],
    ['only a version line', '0\n'],
    ['a missing final newline', '0\n1\nt 0 5'],
    ['an unknown version', '1\n0\n'],
    ['a padded version', '00\n0\n'],
    ['a non-numeric count', '0\nx\n'],
    ['a negative count', '0\n-1\n'],
    ['fewer entries than counted', '0\n2\nt 0 5\n'],
    ['more entries than counted', '0\n1\nt 0 5\nt 1 6\n'],
    ['a blank line', '0\n1\n\n'],
    ['a trailing blank line', '0\n1\nt 0 5\n\n'],
    ['two fields', '0\n1\nt 0\n'],
    ['four fields', '0\n1\nt 0 5 6\n'],
    ['double spaces', '0\n1\nt  0 5\n'],
    ['CRLF line ends', '0\r\n1\r\nt 0 5\r\n'],
    ['an invalid topic', '0\n1\n.. 0 5\n'],
    ['a negative partition', '0\n1\nt -1 5\n'],
    ['a partition beyond int32', '0\n1\nt 2147483648 5\n'],
    ['a negative offset', '0\n1\nt 0 -1\n'],
    ['an offset beyond 2^53 - 1', '0\n1\nt 0 9007199254740992\n'],
    ['a non-numeric offset', '0\n1\nt 0 five\n'],
    ['a duplicate partition', '0\n2\nt 0 5\nt 0 6\n'],
    ['invalid UTF-8', Uint8Array.from([0x30, 0x0a, 0x31, 0x0a, 0xff, 0x20, 0x30, 0x20, 0x35, 0x0a])],
    ['binary garbage', Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0])],
  ])('rejects a file with %s as LOG_CORRUPT_SEGMENT naming the file', (_label, content) => {
    const path = join(dir, 'cp')
    fs.writeFileSync(path, content)
    const err = errorOf(() => readOffsetCheckpoint(io, path))
    expect(err.code).toBe('LOG_CORRUPT_SEGMENT')
    expect(err.details.file).toBe(path)
  })

  it('names the offending line of a bad entry', () => {
    const path = join(dir, 'cp')
    fs.writeFileSync(path, '0\n3\na 0 1\nb 0 2\nc 0 x\n')
    expect(errorOf(() => readOffsetCheckpoint(io, path)).details.line).toBe(5)
  })

  it.each<[string, ReadonlyMap<string, number> | OffsetCheckpointEntry[], string]>([
    ['an invalid topic', [{ topic: 'a/b', partition: 0, offset: 0 }], 'LOG_INVALID_TOPIC'],
    ['a map key without a partition', new Map([['orders', 1]]), 'LOG_INVALID_TOPIC'],
    ['a negative partition', [{ topic: 't', partition: -1, offset: 0 }], 'LOG_UNKNOWN_PARTITION'],
    ['a negative offset', [{ topic: 't', partition: 0, offset: -1 }], 'LOG_OFFSET_OUT_OF_RANGE'],
    ['a fractional offset', [{ topic: 't', partition: 0, offset: 1.5 }], 'LOG_OFFSET_OUT_OF_RANGE'],
    ['an unsafe offset', [{ topic: 't', partition: 0, offset: 2 ** 53 }], 'LOG_OFFSET_OUT_OF_RANGE'],
  ])('refuses to write %s, leaving the old checkpoint untouched', (_label, entries, code) => {
    const path = join(dir, 'cp')
    fs.writeFileSync(path, '0\n0\n')
    expect(errorOf(() => writeOffsetCheckpoint(io, path, entries)).code).toBe(code)
    expect(fs.readFileSync(path, 'utf8')).toBe('0\n0\n')
    expect(fs.readdirSync(dir)).toEqual(['cp'])
  })

  it('reports a failed write as LOG_IO_ERROR and keeps the previous checkpoint', () => {
    const path = join(dir, 'cp')
    writeOffsetCheckpoint(io, path, [{ topic: 't', partition: 0, offset: 1 }])
    const failing = new RecordingFailingFileIO(io).failOn('syncNow', 'EIO')
    const err = errorOf(() => writeOffsetCheckpoint(failing, path, [{ topic: 't', partition: 0, offset: 2 }]))
    expect(err.code).toBe('LOG_IO_ERROR')
    expect(readOffsetCheckpoint(io, path)).toEqual([{ topic: 't', partition: 0, offset: 1 }])
  })
})
