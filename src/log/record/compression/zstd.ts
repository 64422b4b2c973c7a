/**
 * Codec 4 (zstd): one standard zstd frame (RFC 8878) per records region.
 *
 * ```
 * 0  4    magic 28 b5 2f fd (0xFD2FB528 little-endian)
 * 4  1    frame header descriptor: bits 7-6 content-size field code, 5 single segment,
 *         2 content checksum, 1-0 dictionary-id field code
 * …  0|1  window descriptor (absent when single segment)
 * …  0-4  dictionary id
 * …  0-8  frame content size (LE; code 0 → absent unless single segment (1 byte),
 *         1 → 2 bytes + 256, 2 → 4 bytes, 3 → 8 bytes)
 * …       blocks, then optional 4-byte checksum
 * ```
 *
 * Backends, chosen once at load: `node:zlib` zstd (Node ≥ 22.15) when present, else
 * `@bokuweb/zstd-wasm` (initialised here with a top-level await). When neither loads, both
 * directions raise `LOG_UNSUPPORTED_COMPRESSION`.
 *
 * The wasm decoder sizes its output from the frame's content-size field without checking it, and
 * the Java client (zstd-jni streaming) omits that field, so we parse the header ourselves: a
 * declared size above the cap is refused, and an absent one is decoded into a growing output
 * buffer that never exceeds the cap.
 */
import * as zlib from 'node:zlib'
import { isMillraceError, logError } from '../../errors.js'
import { asBuffer, corruptCompressed, decompressedTooLarge } from './codec-errors.js'

/** Kafka's default zstd level (`CompressionType.ZSTD` default). */
const ZSTD_LEVEL = 3
const ZSTD_FRAME_MAGIC = 0xfd2fb528
const FIRST_GUESS_MIN_BYTES = 64 * 1024
const FIRST_GUESS_RATIO = 8

interface ZstdBackend {
  readonly name: 'node:zlib' | '@bokuweb/zstd-wasm'
  compress(data: Uint8Array): Uint8Array
  /** `capacityBytes`: output size to decode into when the frame does not declare its size. */
  decompress(data: Uint8Array, maxBytes: number, capacityBytes: number): Uint8Array
}

interface NodeZstd {
  zstdCompressSync(data: Uint8Array): Buffer
  zstdDecompressSync(data: Uint8Array, options: { maxOutputLength: number }): Buffer
}

interface WasmZstd {
  init(): Promise<void>
  compress(buf: Uint8Array, level?: number): Uint8Array
  decompress(buf: Uint8Array, opts?: { defaultHeapSize?: number }): Uint8Array
}

function nodeBackend(): ZstdBackend | undefined {
  const z = zlib as unknown as Partial<NodeZstd>
  if (typeof z.zstdCompressSync !== 'function' || typeof z.zstdDecompressSync !== 'function') return undefined
  const native = z as NodeZstd
  return {
    name: 'node:zlib',
    compress: (data) => native.zstdCompressSync(data),
    decompress: (data, maxBytes) => {
      try {
        return native.zstdDecompressSync(data, { maxOutputLength: maxBytes })
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw decompressedTooLarge('zstd', maxBytes)
        throw corruptCompressed('zstd', 'zstd rejected the frame', err)
      }
    },
  }
}

async function wasmBackend(): Promise<ZstdBackend> {
  const mod = (await import('@bokuweb/zstd-wasm')) as unknown as WasmZstd & { default?: WasmZstd }
  const wasm: WasmZstd = typeof mod.init === 'function' ? mod : (mod.default as WasmZstd)
  await wasm.init()
  return {
    name: '@bokuweb/zstd-wasm',
    compress: (data) => wasm.compress(data, ZSTD_LEVEL),
    decompress: (data, maxBytes, capacityBytes) => {
      // Without a declared size the library decodes into `defaultHeapSize` bytes and fails when
      // that is too small; double it up to the cap. A declared size was checked by the caller.
      for (let capacity = capacityBytes; ; capacity = Math.min(maxBytes, capacity * 2)) {
        try {
          return wasm.decompress(data, { defaultHeapSize: capacity })
        } catch (err) {
          if (capacity >= maxBytes) throw corruptCompressed('zstd', 'zstd rejected the frame or it exceeds the cap', err)
        }
      }
    },
  }
}

let backend: ZstdBackend | undefined
let unavailableCause: unknown
backend = nodeBackend()
if (backend === undefined) {
  try {
    backend = await wasmBackend()
  } catch (err) {
    // Named decision: a missing zstd backend must not stop the log from loading; only batches
    // that use zstd fail, with LOG_UNSUPPORTED_COMPRESSION carrying this cause.
    unavailableCause = err
  }
}

/** Which backend encodes and decodes zstd here, or `undefined` when none loaded. */
export function zstdBackendName(): string | undefined {
  return backend?.name
}

function requireBackend(): ZstdBackend {
  if (backend === undefined) {
    throw logError(
      'LOG_UNSUPPORTED_COMPRESSION',
      'zstd is unavailable: node:zlib has no zstd and @bokuweb/zstd-wasm did not load',
      { codec: 'zstd' },
      unavailableCause,
    )
  }
  return backend
}

export function compressZstd(data: Uint8Array): Uint8Array {
  return requireBackend().compress(asBuffer(data))
}

export function decompressZstd(data: Uint8Array, maxBytes: number): Uint8Array {
  const zstd = requireBackend()
  const declared = frameContentBytes(data)
  if (declared !== undefined && declared > maxBytes) throw decompressedTooLarge('zstd', maxBytes)
  // With a declared size the backend allocates exactly that; the growing capacity is only for
  // frames without one, so a corrupt declared frame fails once instead of once per doubling.
  const capacity =
    declared !== undefined ? maxBytes : Math.min(maxBytes, Math.max(FIRST_GUESS_MIN_BYTES, data.length * FIRST_GUESS_RATIO))
  let out: Uint8Array
  try {
    out = zstd.decompress(data, maxBytes, capacity)
  } catch (err) {
    if (isMillraceError(err, 'LOG_CORRUPT_BATCH')) throw err
    throw corruptCompressed('zstd', 'zstd rejected the frame', err)
  }
  if (out.length > maxBytes) throw decompressedTooLarge('zstd', maxBytes)
  if (declared !== undefined && out.length !== declared) {
    throw corruptCompressed('zstd', `frame declared ${declared} bytes but decoded to ${out.length}`)
  }
  return out
}

/** The first frame's declared content size, or `undefined` when the header omits it. */
function frameContentBytes(data: Uint8Array): number | undefined {
  if (data.length < 5) throw corruptCompressed('zstd', 'truncated frame header')
  const magic = ((data[0] as number) | ((data[1] as number) << 8) | ((data[2] as number) << 16) | ((data[3] as number) << 24)) >>> 0
  if (magic !== ZSTD_FRAME_MAGIC) throw corruptCompressed('zstd', 'bad frame magic')
  const fhd = data[4] as number
  const fcsCode = fhd >> 6
  const singleSegment = (fhd & 0x20) !== 0
  if ((fhd & 0x08) !== 0) throw corruptCompressed('zstd', 'reserved header bit set')
  const didBytes = [0, 1, 2, 4][fhd & 0x03] as number
  const fcsBytes = fcsCode === 0 ? (singleSegment ? 1 : 0) : 1 << fcsCode
  const at = 5 + (singleSegment ? 0 : 1) + didBytes
  if (data.length < at + fcsBytes) throw corruptCompressed('zstd', 'truncated frame header')
  if (fcsBytes === 0) return undefined
  let value = 0
  for (let i = fcsBytes - 1; i >= 0; i--) value = value * 256 + (data[at + i] as number)
  return fcsBytes === 2 ? value + 256 : value
}
