/**
 * The Millrace consumer of the `clients` figures: `broker.consumer(…)` used through the slice of
 * the `Consumer` interface they need — `assign` + `poll({ timeoutMs })` + `close` — with no group
 * (manual assignment, nothing committed) and `autoOffsetReset: 'earliest'`, so a fresh topic is
 * read from offset 0.
 */
import type { Broker } from '../../src/log/broker.js'
import type { Consumer } from '../../src/log/client/consumer/consumer-api.js'
import type { ConsumerConfigInput } from '../../src/log/client/consumer/consumer-config.js'

/** What the figures call on a Millrace consumer (a subset of `Consumer`, same signatures). */
export type BenchConsumer = Pick<Consumer, 'assign' | 'poll' | 'close'>

/** A group-less consumer reading assigned partitions from the start; `config` adds fetch sizes. */
export function openBenchConsumer(broker: Broker, config: ConsumerConfigInput = {}): BenchConsumer {
  return broker.consumer({ autoOffsetReset: 'earliest', enableAutoCommit: false, ...config })
}
