import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { FileHandle } from '../../../src/log/storage/file-io.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function bytes(text: string): Uint8Array {
  return encoder.encode(text)
}

function textOf(io: FaultFileIO, path: string): string {
  return decoder.decode(io.readFile(path))
}

/** The `code` of what `action` throws, or 'no error'. */
function codeOf(action: () => unknown): unknown {
  try {
    action()
  } catch (err) {
    return (err as NodeJS.ErrnoException).code
  }
  return 'no error'
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

function startsWith(whole: Uint8Array, prefix: Uint8Array): boolean {
  return whole.length >= prefix.length && prefix.every((b, i) => whole[i] === b)
}

function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

/** /d exists durably and /d/f is a durably created, empty file open in `handle`. */
function durableFile(): { io: FaultFileIO; handle: FileHandle } {
  const io = new FaultFileIO()
  io.mkdir('/d')
  io.syncDir('/')
  const handle = io.open('/d/f', { create: true })
  io.syncDir('/d')
  return { io, handle }
}

describe('FaultFileIO durability', () => {
  it('keeps synced bytes and drops unsynced ones on power loss (drop-all-unsynced)', () => {
    const { io, handle } = durableFile()
    handle.append(bytes('abc'))
    handle.syncNow()
    handle.append(bytes('def'))
    expect(textOf(io, '/d/f')).toBe('abcdef')

    expect(textOf(io.powerLoss({ mode: 'drop-all-unsynced' }), '/d/f')).toBe('abc')
    expect(textOf(io.powerLoss(), '/d/f')).toBe('abc')
  })

  it('resolves sync on a later macrotask, not within the current one', async () => {
    const { handle } = durableFile()
    handle.append(bytes('abc'))
    let settled = false
    const sync = handle.sync().then(() => {
      settled = true
    })
    await Promise.resolve()
    await Promise.resolve()
    expect(settled).toBe(false)
    await sync
    expect(settled).toBe(true)
  })

  it('keeps writes made before sync() once that sync has resolved', async () => {
    const { io, handle } = durableFile()
    handle.append(bytes('abc'))
    await handle.sync()
    expect(textOf(io.powerLoss(), '/d/f')).toBe('abc')
  })

  it('drops writes whose sync had not resolved at the power loss, and rejects that sync with ECRASHED', async () => {
    const { io, handle } = durableFile()
    handle.append(bytes('abc'))
    const sync = handle.sync()
    const image = io.powerLoss()
    await expect(sync).rejects.toMatchObject({ code: 'ECRASHED' })
    expect(textOf(image, '/d/f')).toBe('')
  })

  it('does not make writes issued after sync() durable with that sync', async () => {
    const { io, handle } = durableFile()
    handle.append(bytes('abc'))
    const sync = handle.sync()
    handle.append(bytes('def'))
    await sync
    expect(textOf(io.powerLoss(), '/d/f')).toBe('abc')
  })

  it('keeps writeAt and truncate only once synced', () => {
    const { io, handle } = durableFile()
    handle.append(bytes('hello world'))
    handle.syncNow()
    handle.writeAt(bytes('HELLO'), 0)
    handle.truncate(5)
    expect(textOf(io.processCrash(), '/d/f')).toBe('HELLO')
    expect(textOf(io.powerLoss(), '/d/f')).toBe('hello world')

    const synced = durableFile()
    synced.handle.append(bytes('hello world'))
    synced.handle.writeAt(bytes('HELLO'), 0)
    synced.handle.truncate(5)
    synced.handle.syncNow()
    expect(textOf(synced.io.powerLoss(), '/d/f')).toBe('HELLO')
  })

  it('reverts a file creation without syncDir of its parent, even when the file itself was synced', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    io.syncDir('/')
    const handle = io.open('/d/f', { create: true })
    handle.append(bytes('abc'))
    handle.syncNow()
    expect(io.powerLoss().exists('/d/f')).toBe(false)
  })

  it('keeps a file creation once its parent directory is synced', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    io.syncDir('/')
    io.open('/d/f', { create: true }).append(bytes('abc'))
    io.syncDir('/d')
    const image = io.powerLoss()
    expect(image.exists('/d/f')).toBe(true)
    expect(textOf(image, '/d/f')).toBe('')
  })

  it('reverts an unsynced rename and keeps a synced one', () => {
    const setup = (): FaultFileIO => {
      const io = new FaultFileIO()
      io.writeFile('/d/a', bytes('A'))
      io.writeFile('/d/b', bytes('B'))
      io.rename('/d/a', '/d/b')
      return io
    }
    const unsynced = setup().powerLoss()
    expect(unsynced.listAll()).toEqual(['/d/', '/d/a', '/d/b'])
    expect(textOf(unsynced, '/d/a')).toBe('A')
    expect(textOf(unsynced, '/d/b')).toBe('B')

    const io = setup()
    io.syncDir('/d')
    const synced = io.powerLoss()
    expect(synced.listAll()).toEqual(['/d/', '/d/b'])
    expect(textOf(synced, '/d/b')).toBe('A')
  })

  it('reverts an unsynced remove', () => {
    const io = new FaultFileIO()
    io.writeFile('/d/a', bytes('A'))
    io.remove('/d/a')
    expect(io.exists('/d/a')).toBe(false)
    expect(textOf(io.powerLoss(), '/d/a')).toBe('A')
  })

  it('loses a directory whose creation was not synced in its parent, with everything in it', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    const handle = io.open('/d/f', { create: true })
    handle.append(bytes('abc'))
    handle.syncNow()
    io.syncDir('/d')
    expect(io.powerLoss().listAll()).toEqual([])
  })

  it('always leaves the old or the new content when a file is replaced by write-temp, fsync, rename, fsync-dir', () => {
    const replace = (io: FaultFileIO): void => {
      const tmp = io.open('/d/meta.tmp', { create: true })
      tmp.append(bytes('new'))
      tmp.syncNow()
      tmp.close()
      io.rename('/d/meta.tmp', '/d/meta')
      io.syncDir('/d')
    }
    const fixture = (): FaultFileIO => {
      const io = new FaultFileIO()
      io.writeFile('/d/meta', bytes('old'))
      return io
    }
    const probe = fixture()
    replace(probe)
    const total = probe.operationCount
    expect(total).toBe(5)

    for (let n = 1; n <= total + 1; n++) {
      const io = fixture()
      io.crashAtOperation(n)
      expect(codeOf(() => replace(io))).toBe(n <= total ? 'ECRASHED' : 'no error')
      const images = [io.processCrash(), io.powerLoss()]
      for (let seed = 0; seed < 20; seed++) images.push(io.powerLoss({ seed }))
      for (const image of images) {
        expect(['old', 'new']).toContain(textOf(image, '/d/meta'))
      }
      if (n > total) {
        for (const image of images) expect(textOf(image, '/d/meta')).toBe('new')
      }
    }
  })
})

describe('FaultFileIO random power loss', () => {
  // Syncs are rare (1 in 4) and writes span several 512-byte sectors, so most runs end with a
  // multi-write unsynced tail. Data is a pattern of non-zero bytes drawn from two integers, so
  // shrinking stays fast and a zero-filled hole never passes for written data.
  const writesArbitrary = fc.array(
    fc
      .record({ lengthBytes: fc.integer({ min: 1, max: 1500 }), salt: fc.nat(250), sync: fc.nat(3) })
      .map(({ lengthBytes, salt, sync }) => ({
        data: Uint8Array.from({ length: lengthBytes }, (_, i) => ((i * 31 + salt) % 250) + 1),
        sync: sync === 0,
      })),
    { maxLength: 12 },
  )

  /** Appends the writes to a durably created file; returns the synced and the whole content. */
  function appendAll(writes: readonly { data: Uint8Array; sync: boolean }[]): {
    io: FaultFileIO
    synced: Uint8Array
    written: Uint8Array
  } {
    const { io, handle } = durableFile()
    const chunks: Uint8Array[] = []
    let synced: Uint8Array = new Uint8Array(0)
    for (const write of writes) {
      handle.append(write.data)
      chunks.push(write.data)
      if (write.sync) {
        handle.syncNow()
        synced = concat(chunks)
      }
    }
    return { io, synced, written: concat(chunks) }
  }

  it('recovers an append-only file as its synced content followed by at most the length written', () => {
    fc.assert(
      fc.property(fc.integer(), writesArbitrary, fc.constantFrom(512 as const, 4096 as const), (seed, writes, sectorBytes) => {
        const { io, synced, written } = appendAll(writes)
        const recovered = io.powerLoss({ seed, sectorBytes }).readFile('/d/f')
        expect(startsWith(recovered, synced)).toBe(true)
        expect(recovered.length).toBeLessThanOrEqual(written.length)
      }),
    )
  })

  it('recovers a prefix of what was written plus at most one torn sector when writes reach the disk in order', () => {
    fc.assert(
      fc.property(fc.integer(), writesArbitrary, fc.constantFrom(512 as const, 4096 as const), (seed, writes, sectorBytes) => {
        const { io, synced, written } = appendAll(writes)
        const recovered = io.powerLoss({ seed, sectorBytes, sequential: true }).readFile('/d/f')
        const intact = commonPrefixLength(recovered, written)
        expect(intact).toBeGreaterThanOrEqual(synced.length)
        const sectorEnd = (Math.floor(intact / sectorBytes) + 1) * sectorBytes
        expect(recovered.length).toBeLessThanOrEqual(Math.min(written.length, sectorEnd))
      }),
    )
  })

  it('produces torn tails, dropped tails and kept tails across seeds', () => {
    const outcomes = new Set<string>()
    for (let seed = 0; seed < 200; seed++) {
      const { io, written } = appendAll([{ data: new Uint8Array(100).fill(7), sync: false }])
      const recovered = io.powerLoss({ seed }).readFile('/d/f')
      if (recovered.length === 0) outcomes.add('dropped')
      else if (recovered.length === written.length && startsWith(recovered, written)) outcomes.add('kept')
      else outcomes.add('torn')
    }
    expect([...outcomes].sort()).toEqual(['dropped', 'kept', 'torn'])
  })

  it('gives the same image for the same seed', () => {
    const { io } = appendAll([
      { data: new Uint8Array(5000).fill(1), sync: true },
      { data: new Uint8Array(3000).fill(2), sync: false },
      { data: new Uint8Array(3000).fill(3), sync: false },
    ])
    io.rename('/d/f', '/d/g')
    for (let seed = 0; seed < 20; seed++) {
      const first = io.powerLoss({ seed })
      const second = io.powerLoss({ seed })
      expect(second.listAll()).toEqual(first.listAll())
      for (const path of first.listAll().filter((p) => !p.endsWith('/'))) {
        expect(Buffer.compare(second.readFile(path), first.readFile(path))).toBe(0)
      }
    }
  })

  it('keeps or reverts a rename as a whole, never leaving the file under both names or neither', () => {
    const seen = new Set<string>()
    for (let seed = 0; seed < 100; seed++) {
      const io = new FaultFileIO()
      io.writeFile('/d/a', bytes('A'))
      io.rename('/d/a', '/d/b')
      const names = io.powerLoss({ seed }).listAll()
      expect([['/d/', '/d/a'], ['/d/', '/d/b']]).toContainEqual(names)
      seen.add(names.join(','))
    }
    expect(seen.size).toBe(2)
  })

  it('keeps a chain of unsynced renames whole: the file survives under its first or last name, once', () => {
    const seen = new Set<string>()
    for (let seed = 0; seed < 100; seed++) {
      const io = new FaultFileIO()
      io.writeFile('/d/a', bytes('A'))
      io.rename('/d/a', '/d/b')
      io.rename('/d/b', '/d/c')
      const names = io.powerLoss({ seed }).listAll()
      expect([['/d/', '/d/a'], ['/d/', '/d/c']]).toContainEqual(names)
      seen.add(names.join(','))
    }
    expect(seen.size).toBe(2)
  })

  it('keeps or reverts a create followed by a rename over an existing file as a whole', () => {
    for (let seed = 0; seed < 100; seed++) {
      const io = new FaultFileIO()
      io.writeFile('/d/meta', bytes('old'))
      const tmp = io.open('/d/tmp', { create: true })
      tmp.append(bytes('new'))
      tmp.syncNow()
      io.rename('/d/tmp', '/d/meta')
      const image = io.powerLoss({ seed })
      expect(image.listAll()).toEqual(['/d/', '/d/meta'])
      expect(['old', 'new']).toContain(textOf(image, '/d/meta'))
    }
  })
})

describe('FaultFileIO processCrash', () => {
  it('keeps every written byte and every directory change after kill -9', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    const handle = io.open('/d/f', { create: true })
    handle.append(bytes('unsynced'))
    io.writeFile('/d/old', bytes('x'))
    io.rename('/d/old', '/d/new')
    const image = io.processCrash()
    expect(image.listAll()).toEqual(['/d/', '/d/f', '/d/new'])
    expect(textOf(image, '/d/f')).toBe('unsynced')
  })

  it('leaves unsynced data unsynced, so a later power loss can still drop it', () => {
    const { io, handle } = durableFile()
    handle.append(bytes('abc'))
    handle.syncNow()
    handle.append(bytes('def'))
    io.mkdir('/e')
    const afterKill = io.processCrash()
    expect(textOf(afterKill, '/d/f')).toBe('abcdef')
    const afterPowerLoss = afterKill.powerLoss()
    expect(textOf(afterPowerLoss, '/d/f')).toBe('abc')
    expect(afterPowerLoss.exists('/e')).toBe(false)
  })

  it('kills the old instance: its calls, handles and locks throw ECRASHED while the helpers still work', async () => {
    const { io, handle } = durableFile()
    const lock = io.lock('/d/lock')
    handle.append(bytes('abc'))
    io.processCrash()
    expect(io.isCrashed).toBe(true)
    expect(codeOf(() => io.open('/d/f'))).toBe('ECRASHED')
    expect(codeOf(() => io.exists('/d/f'))).toBe('ECRASHED')
    expect(codeOf(() => io.list('/d'))).toBe('ECRASHED')
    expect(codeOf(() => handle.append(bytes('x')))).toBe('ECRASHED')
    expect(codeOf(() => handle.read(new Uint8Array(3), 0, 3, 0))).toBe('ECRASHED')
    expect(codeOf(() => handle.size())).toBe('ECRASHED')
    expect(codeOf(() => handle.close())).toBe('ECRASHED')
    expect(codeOf(() => lock.release())).toBe('ECRASHED')
    await expect(handle.sync()).rejects.toMatchObject({ code: 'ECRASHED' })
    expect(textOf(io, '/d/f')).toBe('abc')
    expect(io.listAll()).toEqual(['/d/', '/d/f', '/d/lock'])
  })

  it('does not carry locks into the image: a stale lock file is taken over', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    io.lock('/d/lock')
    const image = io.processCrash()
    expect(image.exists('/d/lock')).toBe(true)
    const lock = image.lock('/d/lock')
    expect(codeOf(() => image.lock('/d/lock'))).toBe('EEXIST')
    lock.release()
    expect(image.exists('/d/lock')).toBe(false)
  })

  it('leaves the crashed instance unchanged by the images taken from it', () => {
    const { io, handle } = durableFile()
    handle.append(bytes('abc'))
    const image = io.powerLoss()
    image.open('/d/f').append(bytes('zzz'))
    expect(textOf(io, '/d/f')).toBe('abc')
    expect(textOf(io.processCrash(), '/d/f')).toBe('abc')
  })
})

describe('FaultFileIO crashAtOperation', () => {
  it('throws ECRASHED at the n-th counted operation and at every call after it', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    const handle = io.open('/d/f', { create: true })
    io.crashAtOperation(3)
    expect(codeOf(() => handle.append(bytes('abc')))).toBe('ECRASHED')
    expect(io.operationCount).toBe(2)
    expect(codeOf(() => handle.read(new Uint8Array(1), 0, 1, 0))).toBe('ECRASHED')
    expect(codeOf(() => io.exists('/d'))).toBe('ECRASHED')
    expect(codeOf(() => io.mkdir('/e'))).toBe('ECRASHED')
    expect(textOf(io, '/d/f')).toBe('')
  })

  it('counts mutating and sync operations only', async () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    const handle = io.open('/d/f', { create: true })
    handle.append(bytes('abc'))
    expect(io.operationCount).toBe(3)
    handle.read(new Uint8Array(3), 0, 3, 0)
    handle.size()
    io.size('/d/f')
    io.list('/d')
    io.exists('/d/f')
    io.open('/d/f').close()
    expect(io.operationCount).toBe(3)
    handle.writeAt(bytes('x'), 0)
    handle.truncate(2)
    handle.syncNow()
    await handle.sync()
    io.syncDir('/d')
    io.rename('/d/f', '/d/g')
    io.remove('/d/g')
    io.removeDir('/d')
    io.lock('/l').release()
    expect(io.operationCount).toBe(13)
  })

  it('sweeps every crash point: the kill -9 image holds exactly the operations before it', () => {
    const workload = (io: FaultFileIO): void => {
      io.mkdir('/d') // 1
      const handle = io.open('/d/f', { create: true }) // 2
      handle.append(bytes('a')) // 3
      handle.append(bytes('b')) // 4
      handle.syncNow() // 5
      io.rename('/d/f', '/d/g') // 6
      io.syncDir('/d') // 7
    }
    const expected: { files: string[]; content?: [string, string] }[] = [
      { files: [] },
      { files: ['/d/'] },
      { files: ['/d/', '/d/f'], content: ['/d/f', ''] },
      { files: ['/d/', '/d/f'], content: ['/d/f', 'a'] },
      { files: ['/d/', '/d/f'], content: ['/d/f', 'ab'] },
      { files: ['/d/', '/d/f'], content: ['/d/f', 'ab'] },
      { files: ['/d/', '/d/g'], content: ['/d/g', 'ab'] },
      { files: ['/d/', '/d/g'], content: ['/d/g', 'ab'] },
    ]
    const probe = new FaultFileIO()
    workload(probe)
    expect(probe.operationCount).toBe(7)

    for (let n = 1; n <= 8; n++) {
      const io = new FaultFileIO()
      io.crashAtOperation(n)
      expect(codeOf(() => workload(io))).toBe(n <= 7 ? 'ECRASHED' : 'no error')
      const image = io.processCrash()
      const want = expected[n - 1]
      expect(image.listAll()).toEqual(want?.files)
      if (want?.content !== undefined) expect(textOf(image, want.content[0])).toBe(want.content[1])
    }
  })

  it('rejects a crash point at or below the operations already run', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    expect(() => io.crashAtOperation(1)).toThrow(RangeError)
    expect(() => io.crashAtOperation(0)).toThrow(RangeError)
  })
})

describe('FaultFileIO failOn', () => {
  it('fails matching calls with a Node-style error carrying the injected code', () => {
    const { io, handle } = durableFile()
    io.failOn({ op: 'append', code: 'EIO' })
    let caught: NodeJS.ErrnoException | undefined
    try {
      handle.append(bytes('abc'))
    } catch (err) {
      caught = err as NodeJS.ErrnoException
    }
    expect(caught).toBeInstanceOf(Error)
    expect(caught).toMatchObject({ code: 'EIO', syscall: 'append', path: '/d/f' })
    expect(codeOf(() => handle.append(bytes('abc')))).toBe('EIO')
    expect(textOf(io, '/d/f')).toBe('')
  })

  it('lets afterCount matching calls succeed, fails the next `times`, then succeeds again', () => {
    const { io, handle } = durableFile()
    const fault = io.failOn({ op: 'append', code: 'ENOSPC', afterCount: 2, times: 2 })
    const codes = Array.from({ length: 6 }, (_, i) => codeOf(() => handle.append(bytes(String(i)))))
    expect(codes).toEqual(['no error', 'no error', 'ENOSPC', 'ENOSPC', 'no error', 'no error'])
    expect(fault.failureCount).toBe(2)
    expect(textOf(io, '/d/f')).toBe('0145')
  })

  it('fails only calls whose path contains pathIncludes, matching either path of a rename', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    io.failOn({ pathIncludes: '.index', code: 'EACCES' })
    expect(codeOf(() => io.open('/d/0.log', { create: true }))).toBe('no error')
    expect(codeOf(() => io.open('/d/0.index', { create: true }))).toBe('EACCES')
    expect(codeOf(() => io.rename('/d/0.log', '/d/1.index'))).toBe('EACCES')
    expect(io.listAll()).toEqual(['/d/', '/d/0.log'])
  })

  it('fails every operation when no op is given, and a list of ops when one is', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    const handle = io.open('/d/f', { create: true })
    const fault = io.failOn({ op: ['sync', 'syncNow'], code: 'EIO' })
    expect(codeOf(() => handle.syncNow())).toBe('EIO')
    expect(codeOf(() => handle.append(bytes('a')))).toBe('no error')
    fault.cancel()
    io.failOn({ code: 'EROFS' })
    expect(codeOf(() => io.list('/d'))).toBe('EROFS')
    expect(codeOf(() => handle.read(new Uint8Array(1), 0, 1, 0))).toBe('EROFS')
    io.clearFaults()
    expect(codeOf(() => io.list('/d'))).toBe('no error')
  })

  it('writes a strict prefix of the data before failing with partial: true', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 251)
    const lengths = new Set<number>()
    for (let seed = 0; seed < 20; seed++) {
      const io = new FaultFileIO({ seed })
      io.mkdir('/d')
      const handle = io.open('/d/f', { create: true })
      io.failOn({ op: 'append', code: 'EIO', partial: true, times: 1 })
      expect(codeOf(() => handle.append(data))).toBe('EIO')
      const written = io.readFile('/d/f')
      expect(written.length).toBeLessThan(data.length)
      expect(written).toEqual(data.subarray(0, written.length))
      expect(handle.size()).toBe(written.length)
      lengths.add(written.length)
    }
    expect(lengths.size).toBeGreaterThan(1)
  })

  it('rejects sync with the injected code and leaves the data unsynced', async () => {
    const { io, handle } = durableFile()
    handle.append(bytes('abc'))
    io.failOn({ op: 'sync', code: 'EIO', times: 1 })
    await expect(handle.sync()).rejects.toMatchObject({ code: 'EIO' })
    expect(textOf(io.processCrash().powerLoss(), '/d/f')).toBe('')
  })

  it('counts a failed call as an operation', () => {
    const { io, handle } = durableFile()
    const before = io.operationCount
    io.failOn({ op: 'append', code: 'EIO' })
    codeOf(() => handle.append(bytes('a')))
    expect(io.operationCount).toBe(before + 1)
  })

  it('rejects negative or fractional counts with RangeError', () => {
    const io = new FaultFileIO()
    expect(() => io.failOn({ code: 'EIO', afterCount: -1 })).toThrow(RangeError)
    expect(() => io.failOn({ code: 'EIO', times: 1.5 })).toThrow(RangeError)
  })
})

describe('FaultFileIO space limit', () => {
  it('throws ENOSPC when an append would exceed the limit, keeping the bytes that fit', () => {
    const { io, handle } = durableFile()
    io.writeFile('/d/other', new Uint8Array(4))
    io.setSpaceLimitBytes(10)
    handle.append(bytes('abc'))
    expect(codeOf(() => handle.append(bytes('defgh')))).toBe('ENOSPC')
    expect(textOf(io, '/d/f')).toBe('abcdef')
    expect(io.usedBytes).toBe(10)
    expect(codeOf(() => handle.append(bytes('x')))).toBe('ENOSPC')
    expect(codeOf(() => handle.truncate(7))).toBe('ENOSPC')
  })

  it('allows overwrites in place and writes again once files are removed', () => {
    const { io, handle } = durableFile()
    io.writeFile('/d/other', new Uint8Array(5))
    io.setSpaceLimitBytes(8)
    handle.append(bytes('abc'))
    handle.writeAt(bytes('XYZ'), 0)
    expect(codeOf(() => handle.append(bytes('d')))).toBe('ENOSPC')
    io.remove('/d/other')
    handle.append(bytes('d'))
    io.setSpaceLimitBytes(undefined)
    handle.append(new Uint8Array(100))
    expect(handle.size()).toBe(104)
  })
})

describe('FaultFileIO lock', () => {
  it('refuses a second lock on the same path with EEXIST and grants it again after release', () => {
    const io = new FaultFileIO()
    io.mkdir('/data')
    const lock = io.lock('/data/.lock')
    expect(io.exists('/data/.lock')).toBe(true)
    expect(codeOf(() => io.lock('/data/.lock'))).toBe('EEXIST')
    expect(codeOf(() => io.lock('/data/../data/.lock'))).toBe('EEXIST')
    lock.release()
    lock.release()
    expect(io.exists('/data/.lock')).toBe(false)
    io.lock('/data/.lock').release()
  })

  it('fails with ENOENT when the lock file directory is missing', () => {
    expect(codeOf(() => new FaultFileIO().lock('/missing/.lock'))).toBe('ENOENT')
  })
})

describe('FaultFileIO file-system semantics', () => {
  it('fails opens like a real file system: ENOENT, EEXIST, EISDIR, ENOTDIR', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    io.open('/d/f', { create: true })
    expect(codeOf(() => io.open('/d/missing'))).toBe('ENOENT')
    expect(codeOf(() => io.open('/nodir/f', { create: true }))).toBe('ENOENT')
    expect(codeOf(() => io.open('/d/f', { exclusive: true }))).toBe('EEXIST')
    expect(codeOf(() => io.open('/d'))).toBe('EISDIR')
    expect(codeOf(() => io.open('/d/f/x', { create: true }))).toBe('ENOTDIR')
    expect(codeOf(() => io.mkdir('/d/f'))).toBe('EEXIST')
    expect(codeOf(() => io.syncDir('/d/f'))).toBe('ENOTDIR')
    expect(codeOf(() => io.syncDir('/nodir'))).toBe('ENOENT')
    expect(codeOf(() => io.remove('/d'))).toBe('EISDIR')
  })

  it('keeps reading and writing a removed file through a handle opened before', () => {
    const io = new FaultFileIO()
    io.writeFile('/d/f', bytes('abc'))
    const handle = io.open('/d/f')
    io.remove('/d/f')
    handle.append(bytes('def'))
    const target = new Uint8Array(6)
    expect(handle.read(target, 0, 6, 0)).toBe(6)
    expect(decoder.decode(target)).toBe('abcdef')
    expect(io.exists('/d/f')).toBe(false)
  })

  it('reads fewer bytes past the end of the file, and none beyond it', () => {
    const io = new FaultFileIO()
    io.writeFile('/f', bytes('abcdef'))
    const handle = io.open('/f')
    const target = new Uint8Array(10)
    expect(handle.read(target, 2, 8, 3)).toBe(3)
    expect(decoder.decode(target.subarray(2, 5))).toBe('def')
    expect(handle.read(target, 0, 4, 100)).toBe(0)
    expect(codeOf(() => handle.read(target, 8, 4, 0))).toBe('ERR_OUT_OF_RANGE')
  })

  it('zero-fills gaps left by writeAt past the end and by truncate growth', () => {
    const io = new FaultFileIO()
    const handle = io.open('/f', { create: true })
    handle.writeAt(bytes('x'), 3)
    handle.truncate(6)
    expect([...io.readFile('/f')]).toEqual([0, 0, 0, 120, 0, 0])
  })

  it('renames directories, refuses non-empty targets and moves into themselves', () => {
    const io = new FaultFileIO()
    io.writeFile('/a/f', bytes('x'))
    io.writeFile('/b/g', bytes('y'))
    expect(codeOf(() => io.rename('/a', '/b'))).toBe('ENOTEMPTY')
    expect(codeOf(() => io.rename('/a', '/a/sub'))).toBe('EINVAL')
    expect(codeOf(() => io.rename('/a/f', '/b'))).toBe('EISDIR')
    expect(codeOf(() => io.rename('/missing', '/c'))).toBe('ENOENT')
    io.rename('/a', '/c')
    expect(io.listAll()).toEqual(['/b/', '/b/g', '/c/', '/c/f'])
  })

  it('throws EBADF on a closed handle and ignores a second close', async () => {
    const io = new FaultFileIO()
    const handle = io.open('/f', { create: true })
    handle.close()
    handle.close()
    expect(codeOf(() => handle.append(bytes('a')))).toBe('EBADF')
    expect(codeOf(() => handle.read(new Uint8Array(1), 0, 1, 0))).toBe('EBADF')
    await expect(handle.sync()).rejects.toMatchObject({ code: 'EBADF' })
  })

  it('resolves relative paths against the root', () => {
    const io = new FaultFileIO()
    io.mkdir('data/p-0')
    io.open('data/p-0/0.log', { create: true })
    expect(io.listAll()).toEqual(['/data/', '/data/p-0/', '/data/p-0/0.log'])
    expect(io.exists('/data/p-0/0.log')).toBe(true)
  })

  it('removes a directory tree; a power loss may bring back any part of an unsynced removal', () => {
    const io = new FaultFileIO()
    io.writeFile('/t/p-0/0.log', bytes('log'))
    io.writeFile('/t/p-0/0.index', bytes('idx'))
    io.removeDir('/t/p-0')
    io.removeDir('/t/missing')
    expect(io.listAll()).toEqual(['/t/'])
    expect(io.powerLoss().listAll()).toEqual(['/t/', '/t/p-0/', '/t/p-0/0.index', '/t/p-0/0.log'])
    const partial = new Set<string>()
    for (let seed = 0; seed < 50; seed++) partial.add(io.powerLoss({ seed }).listAll().join(','))
    expect(partial.size).toBeGreaterThan(2)
  })
})

describe('FaultFileIO test helpers', () => {
  it('writeFile puts durable bytes by default and unsynced ones with durable: false', () => {
    const io = new FaultFileIO()
    io.writeFile('/d/durable', bytes('kept'))
    io.writeFile('/d/volatile', bytes('lost'), { durable: false })
    expect(textOf(io, '/d/volatile')).toBe('lost')
    const image = io.powerLoss()
    expect(image.listAll()).toEqual(['/d/', '/d/durable'])
    expect(textOf(image, '/d/durable')).toBe('kept')
  })

  it('flipBit damages the durable byte, so the damage survives a power loss', () => {
    const io = new FaultFileIO()
    io.writeFile('/f', Uint8Array.of(0b0000_0000, 0xff))
    io.flipBit('/f', 0, 3)
    io.flipBit('/f', 1, 7)
    expect([...io.readFile('/f')]).toEqual([0b0000_1000, 0x7f])
    expect([...io.powerLoss().readFile('/f')]).toEqual([0b0000_1000, 0x7f])
    expect(codeOf(() => io.flipBit('/f', 2, 0))).toBe('ERR_OUT_OF_RANGE')
    expect(codeOf(() => io.flipBit('/f', 0, 8))).toBe('ERR_OUT_OF_RANGE')
  })

  it('truncateFile cuts the tail in the visible and durable copies', () => {
    const io = new FaultFileIO()
    io.writeFile('/f', bytes('abcdef'))
    io.truncateFile('/f', 2)
    expect(textOf(io, '/f')).toBe('ab')
    expect(textOf(io.powerLoss(), '/f')).toBe('ab')
    expect(codeOf(() => io.truncateFile('/f', 3))).toBe('ERR_OUT_OF_RANGE')
  })

  it('readFile on a missing file throws ENOENT', () => {
    expect(codeOf(() => new FaultFileIO().readFile('/nope'))).toBe('ENOENT')
  })
})

describe('FaultFileIO write ownership', () => {
  it('keeps the bytes of a write even when the caller reuses its Buffer afterwards', () => {
    const io = new FaultFileIO()
    io.mkdir('/d')
    const handle = io.open('/d/f', { create: true })
    const scratch = Buffer.from([1, 2, 3, 4])
    handle.append(scratch)
    scratch.fill(9)
    handle.append(scratch)
    handle.syncNow()
    io.syncDir('/')
    io.syncDir('/d')
    expect([...io.powerLoss().readFile('/d/f')]).toEqual([1, 2, 3, 4, 9, 9, 9, 9])
  })
})
