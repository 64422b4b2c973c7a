/**
 * Model-based test: random appends, reads, rolls, truncations, retention deletions, log-start
 * moves and reopens (clean, or after a process crash) against an array of batches.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ManualClock } from '../../../src/log/clock.js'
import { FaultFileIO } from '../../../src/log/storage/fault-file-io.js'
import { PartitionLog, type PartitionLogConfig } from '../../../src/log/storage/partition-log.js'
import { iterateBatches } from '../../../src/log/record/record-batch.js'
import { batchOfValues, decodeAll } from '../../support/batches.js'

const DIR = '/data/t-0'
const CONFIG: PartitionLogConfig = {
  segmentBytes: 600,
  segmentMs: Number.MAX_SAFE_INTEGER,
  segmentIndexBytes: 8 * 64,
  indexIntervalBytes: 100,
  maxMessageBytes: 1 << 20,
  messageTimestampType: 'CreateTime',
  flushMessages: Number.MAX_SAFE_INTEGER,
}

interface ModelBatch {
  base: number
  values: string[]
}

class Model {
  batches: ModelBatch[] = []
  logStart = 0
  logEnd = 0
  valueAt(offset: number): string | undefined {
    for (const b of this.batches) if (offset >= b.base && offset < b.base + b.values.length) return b.values[offset - b.base]
    return undefined
  }
  batchContaining(offset: number): ModelBatch | undefined {
    return this.batches.find((b) => offset >= b.base && offset < b.base + b.values.length)
  }
}

class Real {
  io = new FaultFileIO()
  clock = new ManualClock()
  log: PartitionLog
  constructor() {
    this.io.mkdir('/data')
    this.log = this.open(false)
  }
  open(clean: boolean): PartitionLog {
    return PartitionLog.open({
      io: this.io,
      dir: DIR,
      topic: 't',
      partition: 0,
      config: CONFIG,
      clock: this.clock,
      recoveryPoint: this.log ? this.log.recoveryPoint : 0,
      logStartOffset: this.log ? this.log.logStartOffset : 0,
      cleanShutdown: clean,
    })
  }
}

type Cmd = fc.Command<Model, Real>

function check(m: Model, r: Real): void {
  expect(r.log.logEndOffset).toBe(m.logEnd)
  expect(r.log.logStartOffset).toBe(m.logStart)
}

class Append implements Cmd {
  constructor(readonly values: string[]) {}
  check = (): boolean => true
  run(m: Model, r: Real): void {
    const res = r.log.append(batchOfValues(this.values))
    expect(res.baseOffset).toBe(m.logEnd)
    m.batches.push({ base: m.logEnd, values: this.values })
    m.logEnd += this.values.length
    check(m, r)
  }
  toString = (): string => `append(${this.values.length})`
}

class Read implements Cmd {
  constructor(
    readonly at: number,
    readonly maxBytes: number,
  ) {}
  check = (): boolean => true
  run(m: Model, r: Real): void {
    const offset = m.logStart + Math.floor(this.at * (m.logEnd - m.logStart + 1))
    const bytes = r.log.read(Math.min(offset, m.logEnd), this.maxBytes)
    if (offset >= m.logEnd) {
      expect(bytes.length).toBe(0)
      return
    }
    const batches = [...iterateBatches(bytes)]
    expect(batches.length).toBeGreaterThan(0)
    const first = batches[0]
    expect(first?.baseOffset).toBe(m.batchContaining(offset)?.base)
    for (const rec of decodeAll(bytes)) expect(rec.value).toBe(m.valueAt(rec.offset))
  }
  toString = (): string => `read(${this.at.toFixed(2)}, ${this.maxBytes})`
}

class Roll implements Cmd {
  check = (): boolean => true
  run(m: Model, r: Real): void {
    r.log.roll()
    check(m, r)
  }
  toString = (): string => 'roll'
}

class Truncate implements Cmd {
  constructor(readonly at: number) {}
  check = (): boolean => true
  run(m: Model, r: Real): void {
    const target = m.logStart + Math.floor(this.at * (m.logEnd - m.logStart))
    if (target >= m.logEnd) return
    r.log.truncateTo(target)
    const cut = m.batchContaining(Math.max(target, m.logStart))
    if (cut) {
      m.batches = m.batches.filter((b) => b.base < cut.base)
      m.logEnd = cut.base
    }
    if (m.logStart > m.logEnd) m.logStart = m.logEnd
    check(m, r)
  }
  toString = (): string => `truncate(${this.at.toFixed(2)})`
}

class DeleteOldest implements Cmd {
  constructor(readonly count: number) {}
  check = (): boolean => true
  run(m: Model, r: Real): void {
    const infos = r.log.segmentInfos()
    const deleted = r.log.deleteOldestSegments(this.count)
    if (deleted > 0) {
      const infosAfter = r.log.segmentInfos()
      const newStart = infosAfter[0]?.baseOffset as number
      expect(newStart).toBeGreaterThanOrEqual(infos[0]?.baseOffset as number)
      m.logStart = Math.max(m.logStart, newStart)
    }
    check(m, r)
  }
  toString = (): string => `deleteOldest(${this.count})`
}

class AdvanceStart implements Cmd {
  constructor(readonly at: number) {}
  check = (): boolean => true
  run(m: Model, r: Real): void {
    const target = m.logStart + Math.floor(this.at * (m.logEnd - m.logStart))
    r.log.advanceLogStartOffset(target)
    m.logStart = Math.max(m.logStart, target)
    check(m, r)
  }
  toString = (): string => `advanceStart(${this.at.toFixed(2)})`
}

class Reopen implements Cmd {
  constructor(readonly clean: boolean) {}
  check = (): boolean => true
  run(m: Model, r: Real): void {
    if (this.clean) {
      r.log.close()
      r.log = r.open(true)
    } else {
      // kill -9: the page cache survives, nothing was closed or synced.
      const rp = r.log.recoveryPoint
      const start = r.log.logStartOffset
      r.io = r.io.processCrash()
      r.log = PartitionLog.open({
        io: r.io,
        dir: DIR,
        topic: 't',
        partition: 0,
        config: CONFIG,
        clock: r.clock,
        recoveryPoint: rp,
        logStartOffset: start,
        cleanShutdown: false,
      })
    }
    check(m, r)
  }
  toString = (): string => (this.clean ? 'reopen(clean)' : 'reopen(kill -9)')
}

const value = fc.string({ minLength: 0, maxLength: 40 })
const commands = [
  fc.array(value, { minLength: 1, maxLength: 12 }).map((v) => new Append(v) as Cmd),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 2000 })).map(([a, b]) => new Read(a, b) as Cmd),
  fc.constant(new Roll() as Cmd),
  fc.double({ min: 0, max: 1, noNaN: true }).map((a) => new Truncate(a) as Cmd),
  fc.integer({ min: 1, max: 4 }).map((n) => new DeleteOldest(n) as Cmd),
  fc.double({ min: 0, max: 1, noNaN: true }).map((a) => new AdvanceStart(a) as Cmd),
  fc.boolean().map((c) => new Reopen(c) as Cmd),
]

describe('PartitionLog against an array model', () => {
  it('agrees with the model on offsets and contents under random operations', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80 }), (cmds) => {
        const real = new Real()
        const model = new Model()
        fc.modelRun(() => ({ model, real }), cmds)
        // Finally every readable record reads back exactly, in order, with no gaps.
        const seen: number[] = []
        let offset = model.logStart
        while (offset < model.logEnd) {
          const records = decodeAll(real.log.read(offset, 512)).filter((rec) => rec.offset >= offset)
          for (const rec of records) {
            expect(rec.value).toBe(model.valueAt(rec.offset))
            seen.push(rec.offset)
          }
          offset = (seen[seen.length - 1] ?? offset) + 1
        }
        expect(seen).toEqual(Array.from({ length: model.logEnd - model.logStart }, (_, i) => model.logStart + i))
        real.log.close()
      }),
      { numRuns: 400 },
    )
  })
})
