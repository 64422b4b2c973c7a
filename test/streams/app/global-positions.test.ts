import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GlobalPositionsFile } from '../../../src/streams/app/global-positions.js'
import { tempDir } from '../../support/temp-dir.js'

const offsets = (...pairs: Array<[number, number]>): Map<number, number> => new Map(pairs)

describe("a global store's positions file", () => {
  it('gives back the offsets of each checkpoint it was given, across a reopen', async () => {
    const file = join(tempDir(), 'global', 'prices.positions')
    const written = GlobalPositionsFile.read(file, 'prices')
    expect(written.lastSequence).toBe(0)
    await written.write(1, offsets([0, 10], [1, 7]))
    await written.write(2, offsets([0, 12], [1, 7]))
    const read = GlobalPositionsFile.read(file, 'prices')
    expect(read.offsetsAt(1)).toEqual(offsets([0, 10], [1, 7]))
    expect(read.offsetsAt(2)).toEqual(offsets([0, 12], [1, 7]))
    expect(read.offsetsAt(3)).toBeUndefined()
    expect(read.lastSequence).toBe(2)
  })

  it('keeps the last eight checkpoints', async () => {
    const file = join(tempDir(), 'prices.positions')
    const positions = GlobalPositionsFile.read(file, 'prices')
    for (let sequence = 1; sequence <= 10; sequence++) await positions.write(sequence, offsets([0, sequence * 100]))
    const read = GlobalPositionsFile.read(file, 'prices')
    expect(read.offsetsAt(2)).toBeUndefined()
    expect(read.offsetsAt(3)).toEqual(offsets([0, 300]))
    expect(read.offsetsAt(10)).toEqual(offsets([0, 1000]))
  })

  it('holds no checkpoint when the file is missing, unreadable, or written for another topic', async () => {
    const dir = tempDir()
    expect(GlobalPositionsFile.read(join(dir, 'missing.positions'), 'prices').offsetsAt(1)).toBeUndefined()
    const file = join(dir, 'prices.positions')
    await GlobalPositionsFile.read(file, 'prices').write(1, offsets([0, 5]))
    expect(GlobalPositionsFile.read(file, 'rates').offsetsAt(1)).toBeUndefined()
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, text.slice(0, text.length - 3))
    expect(GlobalPositionsFile.read(file, 'prices').offsetsAt(1)).toBeUndefined()
    writeFileSync(file, text.replace('[0,5]', '[0,-5]'))
    expect(GlobalPositionsFile.read(file, 'prices').offsetsAt(1)).toBeUndefined()
  })
})
