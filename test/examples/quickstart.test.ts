import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { tempDir } from '../support/temp-dir.js'

const QUICKSTART = fileURLToPath(new URL('../../examples/quickstart.ts', import.meta.url))

describe('examples/quickstart.ts (npm start)', () => {
  it('sends and consumes through the clients, and the group resumes after its first run on the second', () => {
    const dataDir = join(tempDir(), 'data')
    const run = (): string =>
      execFileSync(process.execPath, ['--import', 'tsx', QUICKSTART], {
        env: { ...process.env, MILLRACE_DATA_DIR: dataDir },
        encoding: 'utf8',
      })
    /** Sum of committed offsets and of lags over the printed partitions. */
    const committed = (output: string): { committed: number; lag: number; partitions: number } => {
      const rows = [...output.matchAll(/orders-\d: committed (\d+) of (\d+) \(lag (\d+)\)/g)]
      return {
        committed: rows.reduce((sum, m) => sum + Number(m[1]), 0),
        lag: rows.reduce((sum, m) => sum + Number(m[3]), 0),
        partitions: rows.length,
      }
    }
    const first = run()
    expect(first).toContain('created topic orders (3 partitions)')
    expect(first).toContain('group quickstart read 30000 records')
    expect(committed(first)).toEqual({ committed: 30000, lag: 0, partitions: 3 })
    const second = run()
    expect(second).toContain('found topic orders')
    // Only the second run's records: the group resumed from its committed offsets.
    expect(second).toContain('group quickstart read 30000 records')
    expect(committed(second)).toEqual({ committed: 60000, lag: 0, partitions: 3 })
  })
})
