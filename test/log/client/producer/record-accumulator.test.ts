import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { DrainResult, RecordMetadata, RecordReceipt } from '../../../../src/log/client/producer/producer-batch.js'
import { RecordAccumulator, type DrainBatch } from '../../../../src/log/client/producer/record-accumulator.js'
import type { RecordAccumulatorConfigInput } from '../../../../src/log/client/producer/record-accumulator-config.js'
import { ManualClock } from '../../../../src/log/clock.js'
import { MillraceError, isMillraceError } from '../../../../src/log/errors.js'
import { attributesAt, recordsCountAt } from '../../../../src/log/record/record-batch-v2.js'
import type { RecordInput } from '../../../../src/log/record/record.js'
import type { TopicPartition } from '../../../../src/log/topic-partition.js'
import { eventually } from '../../../support/eventually.js'

/** One call of the controlled drain; the test settles it. */
interface DrainCall {
  tp: TopicPartition
  bytes: Buffer
  recordCount: number
  resolve(result: DrainResult): void
  reject(err: unknown): void
}

/** A drain that completes only when the test says so, recording every call. */
function controlledDrain(): { calls: DrainCall[]; drain: DrainBatch } {
  const calls: DrainCall[] = []
  const drain: DrainBatch = (tp, bytes, recordCount) =>
    new Promise<DrainResult>((resolve, reject) => {
      calls.push({ tp, bytes, recordCount, resolve, reject })
    })
  return { calls, drain }
}

function setup(config: RecordAccumulatorConfigInput = {}): {
  clock: ManualClock
  calls: DrainCall[]
  acc: RecordAccumulator
} {
  const clock = new ManualClock()
  const { calls, drain } = controlledDrain()
  return { clock, calls, acc: new RecordAccumulator({ config, clock, drain }) }
}

const record = (valueBytes: number, timestampMs?: number): RecordInput => ({
  key: new Uint8Array(16),
  value: new Uint8Array(valueBytes),
  ...(timestampMs === undefined ? {} : { timestampMs }),
})

const ack = (baseOffset: number, logAppendTimeMs = -1): DrainResult => ({ baseOffset, logAppendTimeMs })

/** Lets promise callbacks and the event loop run once. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Tracks a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false }
  promise.then(
    (value) => {
      state.value = value
      state.settled = true
    },
    (error: unknown) => {
      state.error = error
      state.settled = true
    },
  )
  return state
}

function mustAppend(acc: RecordAccumulator, topic: string, partition: number, r: RecordInput): RecordReceipt {
  const receipt = acc.tryAppend(topic, partition, r)
  if (receipt === undefined) throw new Error('expected room in the buffer')
  return receipt
}

/** Appends 100-byte records to `t-0` until the buffer refuses one. */
function fillBuffer(acc: RecordAccumulator): number {
  let n = 0
  while (acc.tryAppend('t', 0, record(100)) !== undefined) n++
  return n
}

describe('RecordAccumulator', () => {
  describe('linger', () => {
    it('drains nothing before lingerMs and the batch once lingerMs has passed', () => {
      const { clock, calls, acc } = setup({ lingerMs: 5 })
      mustAppend(acc, 't', 0, record(10))
      mustAppend(acc, 't', 0, record(10))
      clock.advance(4)
      expect(calls).toHaveLength(0)
      clock.advance(1)
      expect(calls).toHaveLength(1)
      expect(calls[0]?.tp).toEqual({ topic: 't', partition: 0 })
      expect(calls[0]?.recordCount).toBe(2)
      expect(recordsCountAt(calls[0]?.bytes ?? Buffer.alloc(0), 0)).toBe(2)
    })

    it('starts the linger at the first record of each batch', () => {
      const { clock, calls, acc } = setup({ lingerMs: 10 })
      mustAppend(acc, 't', 0, record(10))
      clock.advance(6)
      mustAppend(acc, 't', 1, record(10))
      clock.advance(4)
      expect(calls.map((c) => c.tp.partition)).toEqual([0])
      clock.advance(6)
      expect(calls.map((c) => c.tp.partition)).toEqual([0, 1])
      expect(clock.pendingTimers()).toBe(0)
    })
  })

  describe('full batches', () => {
    it('drains a batch as soon as a record does not fit, without waiting for linger', () => {
      const { calls, acc } = setup({ lingerMs: 60_000, batchBytes: 1024 })
      let appended = 0
      const indexes: number[] = []
      while (calls.length === 0) {
        indexes.push(mustAppend(acc, 't', 0, record(100)).index)
        appended++
      }
      const first = calls[0] as DrainCall
      expect(first.recordCount).toBe(appended - 1)
      expect(first.bytes.length).toBeLessThanOrEqual(1024)
      // Offset deltas 0, 1, 2, … in the drained batch; the record that did not fit starts the next.
      expect(indexes).toEqual([...Array(appended - 1).keys(), 0])
    })

    it('gives a record larger than batchBytes a batch of its own, drained at once', () => {
      const { calls, acc } = setup({ lingerMs: 60_000, batchBytes: 128 })
      mustAppend(acc, 't', 0, record(500))
      expect(calls).toHaveLength(1)
      expect(calls[0]?.recordCount).toBe(1)
    })

    it('compresses batches with the configured codec', () => {
      const { calls, acc, clock } = setup({ compression: 'gzip' })
      mustAppend(acc, 't', 0, record(1000))
      clock.advance(5)
      expect((attributesAt(calls[0]?.bytes ?? Buffer.alloc(0), 0) & 0x07) >>> 0).toBe(1)
      expect(calls[0]?.bytes.length).toBeLessThan(1000)
    })
  })

  describe('completion', () => {
    it("resolves each record with baseOffset + its index and its own or the clock's timestamp", async () => {
      const { clock, calls, acc } = setup()
      const a = mustAppend(acc, 't', 3, record(10, 42))
      const b = mustAppend(acc, 't', 3, record(10))
      clock.advance(5)
      calls[0]?.resolve(ack(100))
      const metadata = await Promise.all([a.metadata(), b.metadata()])
      expect(metadata).toEqual<RecordMetadata[]>([
        { topic: 't', partition: 3, offset: 100, timestampMs: 42 },
        { topic: 't', partition: 3, offset: 101, timestampMs: clock.nowMs() - 5 },
      ])
      expect(a.isDone).toBe(true)
      expect(acc.bufferedMemoryBytes).toBe(0)
    })

    it('reports the log append time when the drain returns one, and offset −1 when unknown', async () => {
      const { clock, calls, acc } = setup()
      const a = mustAppend(acc, 't', 0, record(10, 42))
      const b = mustAppend(acc, 'u', 0, record(10, 42))
      clock.advance(5)
      calls[0]?.resolve(ack(7, 9_000))
      calls[1]?.resolve(ack(-1))
      expect(await a.metadata()).toMatchObject({ offset: 7, timestampMs: 9_000 })
      expect(await b.metadata()).toMatchObject({ offset: -1, timestampMs: 42 })
    })

    it("rejects exactly the failed batch's records with the drain's error, cause intact", async () => {
      const { clock, calls, acc } = setup({ batchBytes: 1024 })
      const receipts: RecordReceipt[] = []
      for (let i = 0; i < 20; i++) receipts.push(mustAppend(acc, 't', 0, record(100)))
      const other = mustAppend(acc, 'u', 0, record(100))
      clock.advance(5)
      const first = calls[0] as DrainCall
      const failure = new MillraceError('LOG_IO_ERROR', 'disk gone', { cause: new Error('EIO') })
      first.reject(failure)
      await eventually(() => calls.length === 3, 1_000, 'next batch of t-0 drained')
      const firstCount = first.recordCount
      for (const r of receipts.slice(0, firstCount)) {
        const err = await r.metadata().then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(err).toBe(failure)
        expect(isMillraceError(err, 'LOG_IO_ERROR')).toBe(true)
        expect((err as Error).cause).toBeInstanceOf(Error)
      }
      const flushed = track(acc.flush())
      let logEnd = 0
      for (let next = 1; !flushed.settled; await tick()) {
        for (; next < calls.length; next++) {
          const call = calls[next] as DrainCall
          call.resolve(ack(call.tp.topic === 't' ? logEnd : 0))
          if (call.tp.topic === 't') logEnd += call.recordCount
        }
      }
      await expect(receipts[firstCount]?.metadata()).resolves.toMatchObject({ offset: 0 })
      await expect(receipts[19]?.metadata()).resolves.toMatchObject({ offset: 19 - firstCount })
      await expect(other.metadata()).resolves.toMatchObject({ topic: 'u', offset: 0 })
      expect(acc.bufferedMemoryBytes).toBe(0)
    })

    it('fails only its batch when the drain throws synchronously', async () => {
      const clock = new ManualClock()
      const boom = new Error('sync failure')
      let calls = 0
      const acc = new RecordAccumulator({
        clock,
        drain: () => {
          calls++
          if (calls === 1) throw boom
          return Promise.resolve(ack(0))
        },
      })
      const a = mustAppend(acc, 't', 0, record(10))
      clock.advance(5)
      const b = mustAppend(acc, 't', 0, record(10))
      clock.advance(5)
      await expect(a.metadata()).rejects.toBe(boom)
      await expect(b.metadata()).resolves.toMatchObject({ offset: 0 })
    })
  })

  describe('per-partition ordering', () => {
    it('keeps one batch in flight per partition and drains the next when it settles', async () => {
      const { calls, acc } = setup({ batchBytes: 512, lingerMs: 60_000 })
      const receipts: RecordReceipt[] = []
      for (let i = 0; i < 30; i++) receipts.push(mustAppend(acc, 't', 0, record(100)))
      mustAppend(acc, 't', 1, record(100))
      const flushed = track(acc.flush())
      expect(calls.map((c) => c.tp.partition)).toEqual([0, 1])
      let logEnd = 0
      for (let n = 1; calls.filter((c) => c.tp.partition === 0).length > n - 1 && !flushed.settled; n++) {
        const pending = calls.filter((c) => c.tp.partition === 0)
        expect(pending).toHaveLength(n)
        const current = pending[n - 1] as DrainCall
        current.resolve(ack(logEnd))
        logEnd += current.recordCount
        calls.find((c) => c.tp.partition === 1)?.resolve(ack(0))
        await tick()
      }
      await eventually(() => flushed.settled, 1_000, 'flush')
      expect(logEnd).toBe(30)
      const offsets = await Promise.all(receipts.map((r) => r.metadata().then((m) => m.offset)))
      expect(offsets).toEqual([...Array(30).keys()])
    })

    it('preserves append order per partition for any interleaving of appends, time and drain completions', async () => {
      type Op =
        | { kind: 'append'; partition: number; valueBytes: number }
        | { kind: 'complete'; pick: number }
        | { kind: 'advance'; ms: number }
      const op: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ kind: fc.constant('append' as const), partition: fc.nat(2), valueBytes: fc.nat(300) }),
        fc.record({ kind: fc.constant('complete' as const), pick: fc.nat() }),
        fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(8) }),
      )
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 80 }), fc.nat(), async (ops, finalPick) => {
          const { clock, calls, acc } = setup({ batchBytes: 512, lingerMs: 5 })
          const logEnd = [0, 0, 0]
          const pending: DrainCall[] = []
          let seen = 0
          const sync = (): void => {
            for (; seen < calls.length; seen++) {
              const call = calls[seen] as DrainCall
              // At most one drain in flight per partition.
              expect(pending.some((c) => c.tp.partition === call.tp.partition)).toBe(false)
              pending.push(call)
            }
          }
          const complete = (pick: number): void => {
            const [call] = pending.splice(pick % pending.length, 1)
            if (call === undefined) return
            const p = call.tp.partition
            call.resolve(ack(logEnd[p] as number))
            logEnd[p] = (logEnd[p] as number) + call.recordCount
          }
          const appended: RecordReceipt[][] = [[], [], []]
          for (const o of ops) {
            if (o.kind === 'append') appended[o.partition]?.push(mustAppend(acc, 't', o.partition, record(o.valueBytes)))
            else if (o.kind === 'advance') clock.advance(o.ms)
            else if (pending.length > 0) complete(o.pick)
            sync()
            await tick()
            sync()
          }
          const flushed = track(acc.flush())
          for (let guard = 0; !flushed.settled; guard++) {
            expect(guard).toBeLessThan(1_000)
            sync()
            if (pending.length > 0) complete(finalPick + guard)
            await tick()
          }
          for (let p = 0; p < 3; p++) {
            const offsets = await Promise.all((appended[p] as RecordReceipt[]).map((r) => r.metadata().then((m) => m.offset)))
            expect(offsets).toEqual([...offsets.keys()])
          }
          expect(acc.bufferedMemoryBytes).toBe(0)
        }),
        { numRuns: 100 },
      )
    })
  })

  describe('record too large', () => {
    it('rejects a record larger than maxRequestBytes before buffering it', async () => {
      const { calls, acc } = setup({ maxRequestBytes: 1024, batchBytes: 1024 })
      let thrown: unknown
      try {
        acc.tryAppend('t', 0, record(1024))
      } catch (err) {
        thrown = err
      }
      expect(isMillraceError(thrown, 'LOG_RECORD_TOO_LARGE')).toBe(true)
      expect((thrown as MillraceError).details).toMatchObject({ topic: 't', partition: 0 })
      await expect(acc.append('t', 0, record(1024))).rejects.toMatchObject({ code: 'LOG_RECORD_TOO_LARGE' })
      expect(acc.bufferedMemoryBytes).toBe(0)
      await acc.flush()
      expect(calls).toHaveLength(0)
    })

    it('rejects a record that could never fit in bufferMemoryBytes instead of waiting forever', async () => {
      const { acc } = setup({ bufferMemoryBytes: 512, batchBytes: 256 })
      await expect(acc.append('t', 0, record(600))).rejects.toMatchObject({ code: 'LOG_RECORD_TOO_LARGE' })
      expect(acc.waitingAppends).toBe(0)
    })
  })

  describe('buffer memory', () => {
    const small = { bufferMemoryBytes: 2048, batchBytes: 512 }

    it('counts records against bufferMemoryBytes until their batch settles', async () => {
      const { clock, calls, acc } = setup(small)
      const n = fillBuffer(acc)
      expect(n).toBeGreaterThan(0)
      expect(acc.bufferedMemoryBytes).toBeLessThanOrEqual(2048)
      expect(acc.bufferedMemoryBytes).toBeGreaterThan(2048 - 200)
      clock.advance(5)
      for (let i = 0; i < 10 && calls.length > i; i++) {
        calls[i]?.resolve(ack(0))
        await tick()
      }
      await acc.flush()
      expect(acc.bufferedMemoryBytes).toBe(0)
    })

    it('makes append wait while the buffer is full and resumes it when a drain completes', async () => {
      const { clock, calls, acc } = setup(small)
      fillBuffer(acc)
      const waiting = track(acc.append('t', 1, record(100)))
      await tick()
      expect(waiting.settled).toBe(false)
      expect(acc.waitingAppends).toBe(1)
      // Later appends queue behind the waiter even if they would fit (appends are served in order).
      expect(acc.tryAppend('t', 2, { key: null, value: null })).toBeUndefined()
      clock.advance(5)
      expect(waiting.settled).toBe(false)
      calls[0]?.resolve(ack(0))
      await eventually(() => waiting.settled, 1_000, 'waiting append resumed')
      expect(waiting.value?.partition).toBe(1)
      expect(acc.waitingAppends).toBe(0)
    })

    it('fails a waiting append with LOG_BUFFER_FULL after maxBlockMs on the clock', async () => {
      const { clock, acc } = setup({ ...small, maxBlockMs: 1_000 })
      fillBuffer(acc)
      const buffered = acc.bufferedMemoryBytes
      const waiting = track(acc.append('t', 0, record(100)))
      clock.advance(999)
      await tick()
      expect(waiting.settled).toBe(false)
      clock.advance(1)
      await eventually(() => waiting.settled, 1_000, 'append timed out')
      expect(isMillraceError(waiting.error, 'LOG_BUFFER_FULL')).toBe(true)
      expect((waiting.error as MillraceError).retriable).toBe(true)
      expect(acc.waitingAppends).toBe(0)
      expect(acc.bufferedMemoryBytes).toBe(buffered)
    })

    it('cancels a waiting append when its signal aborts, buffering nothing', async () => {
      const { clock, acc } = setup(small)
      fillBuffer(acc)
      clock.advance(5)
      const buffered = acc.bufferedMemoryBytes
      const timersBefore = clock.pendingTimers()
      const controller = new AbortController()
      const waiting = track(acc.append('t', 0, record(100), { signal: controller.signal }))
      expect(clock.pendingTimers()).toBe(timersBefore + 1)
      const reason = new Error('caller gave up')
      controller.abort(reason)
      await eventually(() => waiting.settled, 1_000, 'append aborted')
      expect(waiting.error).toBe(reason)
      expect(acc.waitingAppends).toBe(0)
      expect(clock.pendingTimers()).toBe(timersBefore)
      expect(acc.bufferedMemoryBytes).toBe(buffered)
      await expect(acc.append('t', 0, record(100), { signal: controller.signal })).rejects.toBe(reason)
    })

    it('serves the appends queued behind a waiter that gives up, in order', async () => {
      const { acc } = setup(small)
      mustAppend(acc, 't', 0, record(1500))
      const controller = new AbortController()
      const big = track(acc.append('t', 0, record(1000), { signal: controller.signal }))
      const tiny = track(acc.append('t', 1, record(10)))
      await tick()
      expect(big.settled).toBe(false)
      expect(tiny.settled).toBe(false)
      controller.abort(new Error('gave up'))
      await eventually(() => tiny.settled, 1_000, 'second waiter served')
      expect(big.error).toBeInstanceOf(Error)
      expect(tiny.value?.partition).toBe(1)
    })

    it('keeps one timer for any number of waiting appends and serves them in append order', async () => {
      const { clock, calls, acc } = setup(small)
      fillBuffer(acc)
      const timersBefore = clock.pendingTimers()
      const count = 5_000
      const served: number[] = []
      const waiting = Array.from({ length: count }, (_, i) => {
        const p = acc.append('t', 1, record(100, i))
        void p.then((receipt) => served.push(receipt.timestampMs))
        return track(p)
      })
      expect(acc.waitingAppends).toBe(count)
      expect(clock.pendingTimers()).toBe(timersBefore + 1)
      let settledCalls = 0
      while (served.length < count) {
        clock.advance(5) // lingers the open batches into drain calls
        for (; settledCalls < calls.length; settledCalls++) calls[settledCalls]?.resolve(ack(0))
        await tick()
      }
      expect(served).toEqual(Array.from({ length: count }, (_, i) => i))
      expect(waiting.every((w) => w.settled && w.error === undefined)).toBe(true)
      expect(acc.waitingAppends).toBe(0)
    })

    it('fails each waiting append when its own maxBlockMs has passed, from one re-armed timer', async () => {
      const { clock, acc } = setup({ ...small, maxBlockMs: 1_000 })
      fillBuffer(acc)
      const first = track(acc.append('t', 0, record(100)))
      clock.advance(400)
      const second = track(acc.append('t', 0, record(100)))
      clock.advance(600)
      await eventually(() => first.settled, 1_000, 'first append timed out')
      expect(isMillraceError(first.error, 'LOG_BUFFER_FULL')).toBe(true)
      expect(second.settled).toBe(false)
      expect(acc.waitingAppends).toBe(1)
      clock.advance(399)
      await tick()
      expect(second.settled).toBe(false)
      clock.advance(1)
      await eventually(() => second.settled, 1_000, 'second append timed out')
      expect(isMillraceError(second.error, 'LOG_BUFFER_FULL')).toBe(true)
      expect(acc.waitingAppends).toBe(0)
    })
  })

  describe('flush and close', () => {
    it('flush drains open batches without waiting for linger and resolves once they are acknowledged', async () => {
      const { calls, acc } = setup({ lingerMs: 60_000 })
      const a = mustAppend(acc, 't', 0, record(10))
      mustAppend(acc, 'u', 5, record(10))
      const flushed = track(acc.flush())
      expect(calls).toHaveLength(2)
      calls[0]?.resolve(ack(0))
      await tick()
      expect(flushed.settled).toBe(false)
      calls[1]?.reject(new MillraceError('LOG_IO_ERROR', 'failed'))
      await eventually(() => flushed.settled, 1_000, 'flush')
      expect(flushed.error).toBeUndefined()
      expect(a.isDone).toBe(true)
      await acc.flush()
    })

    it('close flushes, then rejects appends with LOG_CLOSED', async () => {
      const { calls, acc } = setup({ lingerMs: 60_000 })
      const a = mustAppend(acc, 't', 0, record(10))
      const closed = track(acc.close())
      expect(() => acc.tryAppend('t', 0, record(10))).toThrow(expect.objectContaining({ code: 'LOG_CLOSED' }))
      await expect(acc.append('t', 0, record(10))).rejects.toMatchObject({ code: 'LOG_CLOSED' })
      expect(calls).toHaveLength(1)
      calls[0]?.resolve(ack(0))
      await eventually(() => closed.settled, 1_000, 'close')
      expect(closed.error).toBeUndefined()
      await expect(a.metadata()).resolves.toMatchObject({ offset: 0 })
      await acc.close()
    })

    it('close rejects appends still waiting for memory with LOG_CLOSED', async () => {
      const { clock, calls, acc } = setup({ bufferMemoryBytes: 2048, batchBytes: 512 })
      fillBuffer(acc)
      const waiting = track(acc.append('t', 0, record(100)))
      const closed = track(acc.close())
      await eventually(() => waiting.settled, 1_000, 'waiter rejected')
      expect(isMillraceError(waiting.error, 'LOG_CLOSED')).toBe(true)
      clock.advance(60_000)
      for (let guard = 0; !closed.settled; guard++) {
        expect(guard).toBeLessThan(100)
        for (const c of calls) c.resolve(ack(0))
        await tick()
      }
      expect(acc.bufferedMemoryBytes).toBe(0)
    })
  })

  it('rejects invalid config with CONFIG_INVALID', () => {
    expect(() => setup({ lingerMs: -1 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})
