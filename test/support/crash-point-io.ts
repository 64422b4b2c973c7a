/**
 * A FileIO wrapper that dies at a named point of a transaction's commit: just before or just
 * after the n-th append of a given `__transaction_state` record (PrepareCommit, CompleteCommit, …)
 * or of a COMMIT/ABORT control batch to a data or offsets partition. `onCrash` is the death — a
 * SIGKILL of the process (kill -9 tests) or a power cut of a FaultFileIO (in-process tests).
 *
 * The point is found in the bytes the log writes, so the coordinator carries no test hooks.
 */
import type { FileHandle, FileIO, FileLock, OpenOptions } from '../../src/log/storage/file-io.js'
import { iterateBatches } from '../../src/log/record/record-batch.js'
import { decodeTransactionLogValue } from '../../src/log/txn/transaction-log-schema.js'
import { TXN_STATE_IDS, type TxnState } from '../../src/log/txn/transaction-state.js'

export type CrashPoint =
  | { at: 'state'; state: TxnState; when: 'before' | 'after'; occurrence: number }
  | { at: 'marker'; when: 'before' | 'after'; occurrence: number }

export function describeCrashPoint(p: CrashPoint): string {
  return p.at === 'state' ? `${p.when} ${p.state} #${p.occurrence}` : `${p.when} marker #${p.occurrence}`
}

export function crashPointIO(inner: FileIO, point: CrashPoint, onCrash: (point: CrashPoint) => never): FileIO {
  let seen = 0
  const matches = (path: string, data: Uint8Array): boolean => {
    if (!path.endsWith('.log')) return false
    try {
      for (const batch of iterateBatches(data)) {
        if (point.at === 'marker') {
          if (batch.isControl && !path.includes('__transaction_state')) return true
        } else if (path.includes('__transaction_state') && !batch.isControl) {
          for (const r of batch.records()) {
            if (r.value !== null && decodeTransactionLogValue(r.value).transactionStatus === TXN_STATE_IDS[point.state]) return true
          }
        }
      }
    } catch {
      // Not batches (a partial write of another kind): not a crash point.
    }
    return false
  }
  const wrap = (h: FileHandle): FileHandle => ({
    get path() {
      return h.path
    },
    size: () => h.size(),
    read: (target, targetOffset, length, position) => h.read(target, targetOffset, length, position),
    append: (data) => {
      const hit = matches(h.path, data) && ++seen === point.occurrence
      if (hit && point.when === 'before') onCrash(point)
      h.append(data)
      if (hit && point.when === 'after') onCrash(point)
    },
    writeAt: (data, position) => h.writeAt(data, position),
    truncate: (size) => h.truncate(size),
    sync: () => h.sync(),
    syncNow: () => h.syncNow(),
    close: () => h.close(),
  })
  return {
    open: (path: string, options?: OpenOptions) => wrap(inner.open(path, options)),
    exists: (path) => inner.exists(path),
    size: (path) => inner.size(path),
    list: (dir) => inner.list(dir),
    mkdir: (dir) => inner.mkdir(dir),
    rename: (from, to) => inner.rename(from, to),
    remove: (path) => inner.remove(path),
    removeDir: (dir) => inner.removeDir(dir),
    removeInBackground: (path) => inner.removeInBackground(path),
    syncDir: (dir) => inner.syncDir(dir),
    lock: (path): FileLock => inner.lock(path),
  }
}
