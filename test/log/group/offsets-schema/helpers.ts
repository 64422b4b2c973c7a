import { expect } from 'vitest'
import { isMillraceError } from '../../../../src/log/errors.js'

/** Bytes from annotated hex fragments (spaces ignored), so goldens read field by field. */
export function hex(...fragments: string[]): Buffer {
  return Buffer.from(fragments.join('').replace(/\s+/g, ''), 'hex')
}

/** Asserts that `fn` throws a MillraceError with `code` (never a RangeError or TypeError). */
export function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  if (!isMillraceError(thrown, code)) {
    throw new Error(`expected ${code}, got ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`)
  }
  expect(thrown.code).toBe(code)
}

/** Either decodes or throws LOG_CORRUPT_BATCH; any other error fails. */
export function decodesOrCorrupt(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (!isMillraceError(err, 'LOG_CORRUPT_BATCH')) throw err
  }
}
