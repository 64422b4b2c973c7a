import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const EXAMPLE = fileURLToPath(new URL('../../examples/power-cut.ts', import.meta.url))

describe('examples/power-cut.ts (README: testing your own code)', () => {
  it('keeps the durably acked records through a simulated power cut', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', EXAMPLE], { encoding: 'utf8' })
    expect(out).toMatch(/^after the power cut: durable-1, durable-2$/m)
  })
})
