/**
 * When neither node:zlib nor the wasm package provides zstd, the codec module must still load
 * and fail only when zstd is used. Both backends are replaced by doubles for a fresh import.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'

/** Code of the error `fn` throws. The fresh module graph has its own MillraceError class, so no instanceof. */
function codeOf(fn: () => unknown): { code: unknown; cause: unknown } {
  try {
    fn()
  } catch (err) {
    return { code: (err as { code?: unknown }).code, cause: (err as { cause?: unknown }).cause }
  }
  throw new Error('expected an error')
}

afterEach(() => {
  vi.doUnmock('node:zlib')
  vi.doUnmock('@bokuweb/zstd-wasm')
  vi.resetModules()
})

describe('zstd without a backend', () => {
  it('loads, reports zstd unavailable, and raises LOG_UNSUPPORTED_COMPRESSION only for zstd', async () => {
    vi.resetModules()
    vi.doMock('node:zlib', async (importOriginal) => {
      const zlib = await importOriginal<Record<string, unknown>>()
      return { ...zlib, zstdCompressSync: undefined, zstdDecompressSync: undefined }
    })
    vi.doMock('@bokuweb/zstd-wasm', () => ({
      init: () => Promise.reject(new Error('wasm unavailable')),
      compress: () => new Uint8Array(0),
      decompress: () => new Uint8Array(0),
    }))
    const codecs = await import('../../../src/log/record/compression/index.js')
    expect(codecs.isCompressionAvailable('zstd')).toBe(false)
    expect(codecs.isCompressionAvailable('gzip')).toBe(true)
    const err = codeOf(() => codecs.compress('zstd', new Uint8Array(4)))
    expect(err.code).toBe('LOG_UNSUPPORTED_COMPRESSION')
    expect((err.cause as Error).message).toBe('wasm unavailable')
    expect(codeOf(() => codecs.decompress('zstd', new Uint8Array(8))).code).toBe('LOG_UNSUPPORTED_COMPRESSION')
    expect(Buffer.from(codecs.decompress('gzip', codecs.compress('gzip', Buffer.from('ok')))).toString()).toBe('ok')
  })
})
