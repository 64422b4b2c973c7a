import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { tempDir } from '../support/temp-dir.js'

const EXAMPLE = fileURLToPath(new URL('../../examples/order-pricing.ts', import.meta.url))

/** What the example prices per run: orders n with n % 11 ≠ 0, large when qty × price ≥ 1,000. */
function expected(from: number, to: number): { large: number; regular: number } {
  let large = 0
  let regular = 0
  for (let n = from; n < to; n++) {
    const qty = n % 11
    if (qty === 0) continue
    if (Math.round(qty * (5 + (n % 23) * 10) * 100) / 100 >= 1_000) large++
    else regular++
  }
  return { large, regular }
}

describe('examples/order-pricing.ts (npm start)', () => {
  it('prices every order once, split by size, and resumes from its committed offsets on the second run', () => {
    const dataDir = join(tempDir(), 'data')
    const run = (): string => execFileSync(process.execPath, ['--import', 'tsx', EXAMPLE], { env: { ...process.env, MILLRACE_DATA_DIR: dataDir }, encoding: 'utf8' })
    const counts = (output: string): { large: number; regular: number } => {
      const m = /large-orders: (\d+) records, priced-orders: (\d+) records/.exec(output)
      return { large: Number(m?.[1]), regular: Number(m?.[2]) }
    }
    const first = run()
    expect(first).toContain('app: RUNNING')
    expect(first).toContain('app: NOT_RUNNING')
    expect(counts(first)).toEqual(expected(0, 30_000))
    expect(first).toContain('Sink: KSTREAM-SINK-0000000001 (topic: large-orders)')
    const second = run()
    expect(second).toContain('found the topics')
    const both = expected(0, 60_000)
    // At-least-once with a clean close: nothing is processed twice across the two runs.
    expect(counts(second)).toEqual(both)
  })
})
