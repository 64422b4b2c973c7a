/**
 * Baselines: the same bytes moved with plain `node:fs` calls and nothing else, so each figure
 * can be read as a fraction of what Node can do on this machine in the same run.
 */
import { closeSync, fdatasyncSync, openSync, readSync, writeSync } from 'node:fs'
import { crc32c } from '@node-rs/crc32'
import { MiB, nowMs, type Run } from './harness.js'

/**
 * A view that starts 64 bytes into a page-aligned allocation: page-aligned read destinations are
 * ~5x slower on this VM (perf-anchor note 3), and the log reads into non-aligned views too.
 */
export function unalignedBuffer(bytes: number): Buffer {
  return Buffer.allocUnsafeSlow(bytes + 8192).subarray(64, 64 + bytes)
}

/** Writes `sizes[i]` bytes of `source` per `writeSync`, back to back, into a new file. No fsync. */
export function rawAppend(path: string, sizes: readonly number[], source: Buffer, records: number): Run {
  const fd = openSync(path, 'w')
  try {
    let position = 0
    const t0 = nowMs()
    for (const size of sizes) {
      writeSync(fd, source, 0, size, position)
      position += size
    }
    return { seconds: (nowMs() - t0) / 1000, records, bytes: position }
  } finally {
    closeSync(fd)
  }
}

export interface DurableRun extends Run {
  /** Latency of each write+fdatasync, ms. */
  latenciesMs: Float64Array
}

/** `writeSync` of `batchBytes` then `fdatasyncSync`, repeated for `durationMs` (at least 50 times). */
export function rawWriteFdatasync(
  path: string,
  batchBytes: number,
  source: Buffer,
  recordsPerBatch: number,
  durationMs: number,
): DurableRun {
  const fd = openSync(path, 'w')
  const latencies: number[] = []
  try {
    let position = 0
    const t0 = nowMs()
    let t = t0
    while (t - t0 < durationMs || latencies.length < 50) {
      writeSync(fd, source, 0, batchBytes, position)
      fdatasyncSync(fd)
      position += batchBytes
      const after = nowMs()
      latencies.push(after - t)
      t = after
    }
    return {
      seconds: (t - t0) / 1000,
      records: latencies.length * recordsPerBatch,
      bytes: position,
      latenciesMs: Float64Array.from(latencies).sort(),
    }
  } finally {
    closeSync(fd)
  }
}

/** Reads every file sequentially with `readSync` in `chunkBytes` chunks into one unaligned buffer. */
export function rawRead(paths: readonly string[], records: number, chunkBytes = MiB): Run {
  const buf = unalignedBuffer(chunkBytes)
  let bytes = 0
  const t0 = nowMs()
  for (const path of paths) {
    const fd = openSync(path, 'r')
    try {
      let position = 0
      for (;;) {
        const n = readSync(fd, buf, 0, chunkBytes, position)
        if (n === 0) break
        position += n
      }
      bytes += position
    } finally {
      closeSync(fd)
    }
  }
  return { seconds: (nowMs() - t0) / 1000, records, bytes }
}

/**
 * As {@link rawRead}, plus a CRC-32C (`@node-rs/crc32`) of the bytes read: of each whole chunk,
 * or of each `sliceBytes` piece of it (one native call per batch-sized slice).
 */
export function rawReadCrc(
  paths: readonly string[],
  records: number,
  chunkBytes = MiB,
  sliceBytes = chunkBytes,
): Run & { checksum: number } {
  const buf = unalignedBuffer(chunkBytes)
  let bytes = 0
  let checksum = 0
  const t0 = nowMs()
  for (const path of paths) {
    const fd = openSync(path, 'r')
    try {
      let position = 0
      for (;;) {
        const n = readSync(fd, buf, 0, chunkBytes, position)
        if (n === 0) break
        if (sliceBytes >= n) {
          checksum ^= crc32c(n === chunkBytes ? buf : buf.subarray(0, n))
        } else {
          for (let at = 0; at < n; at += sliceBytes) checksum ^= crc32c(buf.subarray(at, Math.min(n, at + sliceBytes)))
        }
        position += n
      }
      bytes += position
    } finally {
      closeSync(fd)
    }
  }
  return { seconds: (nowMs() - t0) / 1000, records, bytes, checksum }
}
