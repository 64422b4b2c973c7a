/**
 * The slice of the `Consumer` interface the clients figures use: `assign` + `poll` + `close`.
 *
 * `Broker.consumer()` is not in the broker yet, so {@link openBenchConsumer} builds this slice
 * over the internal {@link Fetcher} with the broker as its `FetchSource`, starting every partition
 * at offset 0 (what `broker.consumer({ autoOffsetReset: 'earliest' })` does for a fresh topic
 * without committed offsets). Once `broker.consumer` exists, this file is the one place to switch:
 * return `broker.consumer({ autoOffsetReset: 'earliest', enableAutoCommit: false, … })` instead.
 */
import type { Broker } from '../../src/log/broker.js'
import type { Consumer } from '../../src/log/client/consumer/consumer-api.js'
import { Fetcher } from '../../src/log/client/consumer/fetcher.js'
import type { FetcherConfigInput } from '../../src/log/client/consumer/fetcher-config.js'
import type { TopicPartition } from '../../src/log/topic-partition.js'

/** What the figures call on a Millrace consumer (a subset of `Consumer`, same signatures). */
export type BenchConsumer = Pick<Consumer, 'assign' | 'poll' | 'close'>

/** A consumer reading manually assigned partitions from the start, with `config`'s fetch sizes. */
export function openBenchConsumer(broker: Broker, config: FetcherConfigInput = {}): BenchConsumer {
  return new FetcherConsumer(broker, config)
}

/** `assign` + `poll({ timeoutMs })` over the internal fetcher (see the file comment). */
class FetcherConsumer implements BenchConsumer {
  private readonly fetcher: Fetcher
  private readonly closing = new AbortController()

  constructor(broker: Broker, config: FetcherConfigInput) {
    this.fetcher = new Fetcher(broker, config)
  }

  assign(partitions: readonly TopicPartition[]): Promise<void> {
    this.fetcher.assign(partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: 0 })))
    return Promise.resolve()
  }

  async poll(options: { timeoutMs?: number; maxRecords?: number } = {}): Promise<Awaited<ReturnType<Consumer['poll']>>> {
    const timeoutMs = options.timeoutMs ?? 0
    const controller = new AbortController()
    const onClose = (): void => controller.abort()
    this.closing.signal.addEventListener('abort', onClose, { once: true })
    // One timer per poll that has to wait; a poll served from the buffer never arms it.
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    try {
      return await this.fetcher.poll({ signal: controller.signal, maxRecords: options.maxRecords })
    } finally {
      clearTimeout(timer)
      this.closing.signal.removeEventListener('abort', onClose)
    }
  }

  close(): Promise<void> {
    this.closing.abort()
    this.fetcher.unassign()
    return Promise.resolve()
  }
}
