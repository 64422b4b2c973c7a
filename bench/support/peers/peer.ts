/**
 * One messaging system in the `seed-comparison` figure, driven the same way for each: an empty
 * stream (or queue, or topic), N messages sent one at a time and awaited, N sent the fastest
 * idiomatic way for that client, and the batched N read back from the start.
 */
import { connect as tcpConnect } from 'node:net'

export interface PeerSystem {
  /** Column label, e.g. `NATS JetStream`. */
  readonly name: string
  /** What is measured exactly (storage, acks, batching), printed under the table. */
  readonly detail: string
  /** Recreates the system's stream/queue empty (deleting the previous one). */
  reset(): Promise<void>
  /** Sends `count` messages one at a time, each awaited until the server acknowledged it. */
  sendSync(count: number): Promise<void>
  /** Sends `count` messages pipelined/batched the fastest idiomatic way; resolves once all are acknowledged. */
  sendBatched(count: number): Promise<void>
  /** Reads `count` messages from the start of the stream/queue (all of them must arrive). */
  consume(count: number): Promise<void>
  /** Deletes what this peer created and disconnects. */
  close(): Promise<void>
}

/**
 * Whether something accepts TCP connections on `host:port` within `timeoutMs`: a peer is skipped
 * only when its service is unreachable; any error after that is a real failure.
 */
export function isReachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port })
    const finish = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => finish(false))
    socket.once('connect', () => finish(true))
    socket.once('error', () => finish(false))
  })
}

/** A stream/queue name unique to this run, so a crashed run never collides with the next. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`
}

/** Runs `send(i)` for `count` messages with at most `depth` unsettled; resolves when all settled. */
export async function pipelined(count: number, depth: number, send: (i: number) => Promise<unknown>): Promise<void> {
  const inFlight: Array<Promise<unknown>> = []
  for (let i = 0; i < count; i++) {
    inFlight.push(send(i))
    if (inFlight.length >= depth) await Promise.all(inFlight.splice(0))
  }
  await Promise.all(inFlight)
}
