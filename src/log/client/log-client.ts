/**
 * The `LogClient` contract (DESIGN.md §1): the one interface streams and connect depend on. The
 * embedded `Broker` implements it in-process; a Kafka-protocol client implements it over the
 * network, so a topology written against an embedded log runs against a Kafka cluster unchanged.
 * Anything a layer above needs from the log must be expressible in Kafka's client API.
 */
import type { Admin } from './admin/admin-api.js'
import type { Consumer } from './consumer/consumer-api.js'
import type { ConsumerConfigInput } from './consumer/consumer-config.js'
import type { Producer } from './producer/producer-api.js'
import type { ProducerConfigInput } from './producer/producer-config.js'

export interface LogClient {
  /**
   * A new producer. The caller owns it and closes it before the client.
   * @throws `CONFIG_INVALID` listing every invalid option.
   */
  producer(config?: ProducerConfigInput): Producer
  /**
   * A new consumer. The caller owns it and closes it before the client.
   * @throws `CONFIG_INVALID` listing every invalid option.
   */
  consumer(config?: ConsumerConfigInput): Consumer
  /** An admin client; cheap, holds nothing beyond the client. */
  admin(): Admin
}
