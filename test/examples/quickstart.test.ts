import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { tempDir } from '../support/temp-dir.js'

const QUICKSTART = fileURLToPath(new URL('../../examples/quickstart.ts', import.meta.url))

describe('examples/quickstart.ts (npm start)', () => {
  it('writes and reads records through the log, and appends after its first run on the second', () => {
    const dataDir = join(tempDir(), 'data')
    const run = (): string =>
      execFileSync(process.execPath, ['--import', 'tsx', QUICKSTART], {
        env: { ...process.env, MILLRACE_DATA_DIR: dataDir },
        encoding: 'utf8',
      })
    const first = run()
    expect(first).toContain('created topic orders (3 partitions)')
    expect(first).toContain('read back 30000 records')
    expect(first).toContain('orders-0: offsets [0, 10000)')
    const second = run()
    expect(second).toContain('found topic orders')
    expect(second).toContain('orders-0: offsets [0, 20000)')
  })
})
