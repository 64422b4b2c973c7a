import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Broker } from '../../../src/log/broker.js'
import { decodeAll } from '../../support/batches.js'
import { tempDir } from '../../support/temp-dir.js'

const CHILD = fileURLToPath(new URL('./kill9-child.ts', import.meta.url))
const CYCLES = 24

interface Ack {
  partition: number
  baseOffset: number
  values: string[]
}

/** Runs the child until it has printed `killAfterAcks` acks, then SIGKILLs it. */
function runAndKill(dataDir: string, runId: string, killAfterAcks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, runId], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const acks: Ack[] = []
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const lines = createInterface({ input: child.stdout })
    lines.on('line', (line) => {
      if (!line.startsWith('ack ')) return
      const [, partition, baseOffset, ...values] = line.split(' ')
      acks.push({ partition: Number(partition), baseOffset: Number(baseOffset), values })
      if (acks.length === killAfterAcks) child.kill('SIGKILL')
    })
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks)
      else reject(new Error(`child exited with ${code}: ${stderr}`))
    })
  })
}

describe('kill -9 of a process appending with durable acks', () => {
  it(`loses no acked record, duplicates nothing and keeps offsets contiguous over ${CYCLES} kills`, async () => {
    const dataDir = join(tempDir(), 'data')
    const acked: Ack[] = []
    // A deterministic spread of kill points (no RNG seed to chase): early, mid and late kills.
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const killAfter = 1 + ((cycle * 37) % 120)
      acked.push(...(await runAndKill(dataDir, `r${cycle}`, killAfter)))
    }
    const broker = await Broker.open({ dataDir })
    try {
      const seen = new Map<string, { partition: number; offset: number }>()
      for (let partition = 0; partition < 2; partition++) {
        const tp = { topic: 'kill9', partition }
        const { logStartOffset, logEndOffset } = broker.offsets(tp)
        expect(logStartOffset).toBe(0)
        let next = 0
        while (next < logEndOffset) {
          const records = decodeAll(broker.read(tp, next, 1 << 20)).filter((r) => r.offset >= next)
          expect(records.length).toBeGreaterThan(0)
          for (const r of records) {
            // Contiguous offsets: no gap, no overlap.
            expect(r.offset).toBe(next)
            next++
            const value = r.value as string
            expect(seen.has(value), `duplicate ${value}`).toBe(false)
            seen.set(value, { partition, offset: r.offset })
          }
        }
      }
      expect(acked.length).toBeGreaterThan(CYCLES)
      for (const ack of acked) {
        ack.values.forEach((value, i) => {
          const at = seen.get(value)
          expect(at, `acked record ${value} lost`).toBeDefined()
          expect(at).toEqual({ partition: ack.partition, offset: ack.baseOffset + i })
        })
      }
      // Nothing half-present: every batch is whole (5 records of one writer step).
      const groups = new Map<string, number>()
      for (const value of seen.keys()) {
        const group = value.slice(0, value.lastIndexOf('/'))
        groups.set(group, (groups.get(group) ?? 0) + 1)
      }
      for (const [group, count] of groups) expect(count, group).toBe(5)
    } finally {
      await broker.close()
    }
  })
})
