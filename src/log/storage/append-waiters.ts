/**
 * Long polls on one partition: callers waiting for the log end to pass an offset. The append
 * that gets it there wakes them — consumers never poll on a timer — and while nobody waits an
 * append pays one length check.
 */
import type { LogError } from '../errors.js'

interface Waiter {
  offset: number
  resolve: () => void
  reject: (err: LogError) => void
  /** Removes the AbortSignal listener. */
  detach: () => void
}

export class AppendWaiters {
  private waiters: Waiter[] = []

  /** @param abortedError the error a wait cancelled through its signal rejects with */
  constructor(private readonly abortedError: () => LogError) {}

  get isEmpty(): boolean {
    return this.waiters.length === 0
  }

  /** Resolves when `wake` is called with a log end past `offset`; rejects on abort or `rejectAll`. */
  wait(offset: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(this.abortedError())
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        offset,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      }
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(this.abortedError())
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(waiter)
    })
  }

  /** Wakes every waiter whose offset `logEndOffset` has passed. */
  wake(logEndOffset: number): void {
    const still: Waiter[] = []
    for (const w of this.waiters) {
      if (logEndOffset > w.offset) {
        w.detach()
        w.resolve()
      } else {
        still.push(w)
      }
    }
    this.waiters = still
  }

  /** Rejects every waiter with `err` (the log closed). */
  rejectAll(err: LogError): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) {
      w.detach()
      w.reject(err)
    }
  }
}
