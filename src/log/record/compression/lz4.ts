/**
 * Codec 3 (lz4): the standard LZ4 *frame* format (KIP-57), one frame per records region.
 *
 * ```
 * 0  4  magic 04 22 4d 18 (0x184D2204 little-endian)
 * 4  1  FLG  bits 7-6 version = 01, 5 block independence, 4 block checksum,
 *            3 content size present, 2 content checksum, 0 dictionary id present
 * 5  1  BD   bits 6-4 block max size: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB
 * 6  0|8 content size (u64 LE)          when FLG bit 3
 * …  0|4 dictionary id (u32 LE)         when FLG bit 0
 * …  1  header checksum
 * …     blocks: [u32 LE size, bit 31 = stored uncompressed][data][u32 block checksum when FLG bit 4]
 *       end mark u32 0, then u32 content checksum when FLG bit 2
 * ```
 *
 * Kafka's Java reader (`KafkaLZ4BlockInputStream`) only supports independent blocks, so every
 * frame we write must have FLG bit 5 set; `compressLz4` checks it rather than trusting the
 * binding's defaults across upgrades.
 */
import { compressFrameSync, decompressFrameSync } from 'lz4-napi'
import { logError } from '../../errors.js'
import { asBuffer, corruptCompressed, decompressedTooLarge } from './codec-errors.js'

const LZ4_FRAME_MAGIC = 0x184d2204
export const LZ4_FLG_BLOCK_INDEPENDENCE = 0x20
const LZ4_FLG_BLOCK_CHECKSUM = 0x10
const LZ4_FLG_CONTENT_SIZE = 0x08
const LZ4_FLG_CONTENT_CHECKSUM = 0x04
const LZ4_FLG_DICT_ID = 0x01
const LZ4_BLOCK_UNCOMPRESSED = 0x8000_0000
/**
 * Upper bound of output bytes per compressed input byte: a sequence's match length grows by 255
 * per extension byte, plus the fixed minimum sequence gain; used only to refuse bombs early.
 */
const LZ4_MAX_RATIO = 262

export function compressLz4(data: Uint8Array): Uint8Array {
  const frame = compressFrameSync(asBuffer(data))
  if (((frame[4] as number) & LZ4_FLG_BLOCK_INDEPENDENCE) === 0) {
    throw logError('LOG_UNSUPPORTED_COMPRESSION', 'lz4 binding wrote dependent blocks, which Kafka readers reject', {
      codec: 'lz4',
    })
  }
  return frame
}

export function decompressLz4(data: Uint8Array, maxBytes: number): Uint8Array {
  checkFrameBound(data, maxBytes)
  let out: Buffer
  try {
    out = decompressFrameSync(asBuffer(data))
  } catch (err) {
    throw corruptCompressed('lz4', 'lz4 rejected the frame', err)
  }
  if (out.length > maxBytes) throw decompressedTooLarge('lz4', maxBytes)
  return out
}

/**
 * Walks the frame's block headers (not their contents) and refuses frames that could expand past
 * `maxBytes`, before the binding allocates anything. Also turns truncation into a clear error.
 */
function checkFrameBound(data: Uint8Array, maxBytes: number): void {
  if (data.length < 7) throw corruptCompressed('lz4', 'truncated frame header')
  if (readUint32LE(data, 0) !== LZ4_FRAME_MAGIC) throw corruptCompressed('lz4', 'bad frame magic')
  const flg = data[4] as number
  const bd = data[5] as number
  const blockMaxCode = (bd >> 4) & 0x07
  if (blockMaxCode < 4) throw corruptCompressed('lz4', `reserved block size code ${blockMaxCode}`)
  const blockMaxBytes = 1 << (8 + 2 * blockMaxCode)
  let pos = 6
  if ((flg & LZ4_FLG_CONTENT_SIZE) !== 0) {
    if (data.length < pos + 8) throw corruptCompressed('lz4', 'truncated content size')
    const high = readUint32LE(data, pos + 4)
    const contentBytes = readUint32LE(data, pos)
    if (high !== 0 || contentBytes > maxBytes) throw decompressedTooLarge('lz4', maxBytes)
    pos += 8
  }
  if ((flg & LZ4_FLG_DICT_ID) !== 0) pos += 4
  pos += 1 // header checksum
  const blockChecksumBytes = (flg & LZ4_FLG_BLOCK_CHECKSUM) !== 0 ? 4 : 0
  let bound = 0
  for (;;) {
    if (data.length < pos + 4) throw corruptCompressed('lz4', `truncated block size at ${pos}`)
    const word = readUint32LE(data, pos)
    pos += 4
    if (word === 0) break
    const stored = (word & LZ4_BLOCK_UNCOMPRESSED) !== 0
    const size = word & ~LZ4_BLOCK_UNCOMPRESSED
    if (size > blockMaxBytes || size > data.length - pos) {
      throw corruptCompressed('lz4', `block of ${size} bytes at ${pos - 4} is too large or truncated`)
    }
    bound += stored ? size : Math.min(blockMaxBytes, size * LZ4_MAX_RATIO)
    if (bound > maxBytes) throw decompressedTooLarge('lz4', maxBytes)
    pos += size + blockChecksumBytes
  }
  if ((flg & LZ4_FLG_CONTENT_CHECKSUM) !== 0) pos += 4
  if (pos > data.length) throw corruptCompressed('lz4', 'truncated frame trailer')
  // Kafka writes exactly one frame; trailing bytes would escape the bound computed above.
  if (pos < data.length) throw corruptCompressed('lz4', `${data.length - pos} bytes after the frame`)
}

function readUint32LE(data: Uint8Array, at: number): number {
  return (
    ((data[at] as number) |
      ((data[at + 1] as number) << 8) |
      ((data[at + 2] as number) << 16) |
      ((data[at + 3] as number) << 24)) >>>
    0
  )
}
