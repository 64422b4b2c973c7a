import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { MillraceError } from '../../../src/log/errors.js'
import { stampBatchCrc } from '../../../src/log/record/record-batch-v2.js'

const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/record/', import.meta.url))

/** Bytes of an annotated hex fixture: everything after `#` on a line is a comment. */
export function readHexFixture(name: string): Buffer {
  const text = readFileSync(FIXTURE_DIR + name, 'utf8')
  const hex = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '')
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error(`fixture ${name} is not hex`)
  return Buffer.from(hex, 'hex')
}

/** Runs `fn`, asserts it throws a MillraceError with `code`, and returns the error. */
export function expectLogError(fn: () => unknown, code: string): MillraceError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(MillraceError)
  expect((caught as MillraceError).code).toBe(code)
  return caught as MillraceError
}

/** A copy of `batch` with the CRC recomputed (to test structural checks behind a valid CRC). */
export function restamped(batch: Uint8Array): Buffer {
  const copy = Buffer.from(batch)
  stampBatchCrc(copy, 0, copy.length)
  return copy
}

export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8')

/** Deterministic pseudo-random bytes (xorshift), half of them compressible runs. */
export function patternBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  let x = seed | 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = (i & 64) === 0 ? x & 0xff : i & 0x0f
  }
  return out
}
