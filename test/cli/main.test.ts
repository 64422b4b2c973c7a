import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { Broker } from '../../src/log/broker.js'
import { batchOf } from '../support/batches.js'
import { tempDir } from '../support/temp-dir.js'

async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = []
  const code = await main(args, (l) => lines.push(l))
  return { code, lines }
}

describe('millrace CLI', () => {
  it('dump-log prints every batch of a segment with its offsets, and records on request', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await Broker.open({ dataDir })
    broker.createTopic({ topic: 'cli', partitions: 1 })
    broker.append({ topic: 'cli', partition: 0 }, batchOf(3, 'a'))
    broker.append({ topic: 'cli', partition: 0 }, batchOf(2, 'b'))
    await broker.close()
    const { code, lines } = await run(['dump-log', join(dataDir, 'cli-0', '00000000000000000000.log'), '--records'])
    expect(code).toBe(0)
    expect(lines.filter((l) => l.startsWith('baseOffset:'))).toHaveLength(2)
    expect(lines.some((l) => l.startsWith('baseOffset: 3 lastOffset: 4 count: 2'))).toBe(true)
    expect(lines.filter((l) => l.startsWith('| offset:'))).toHaveLength(5)
  })

  it('topics --describe lists partitions with their offsets', async () => {
    const dataDir = join(tempDir(), 'data')
    const broker = await Broker.open({ dataDir })
    broker.createTopic({ topic: 'one', partitions: 2, configs: { 'cleanup.policy': 'compact' } })
    broker.append({ topic: 'one', partition: 1 }, batchOf(4, 'x'))
    await broker.close()
    const { code, lines } = await run(['topics', '--data-dir', dataDir, '--describe'])
    expect(code).toBe(0)
    expect(lines[0]).toMatch(/^Topic: one\tTopicId: \S{22}\tPartitionCount: 2$/)
    expect(lines.some((l) => l.includes('Partition: 1\tLogStartOffset: 0\tLogEndOffset: 4'))).toBe(true)
    expect(lines.some((l) => l.includes('cleanup.policy=compact'))).toBe(true)
  })

  it('exits with 2 and the usage on an unknown command', async () => {
    const { code, lines } = await run(['frobnicate'])
    expect(code).toBe(2)
    expect(lines.join('\n')).toContain('usage:')
  })
})
