/**
 * Figure `stateless-pipeline`: what the Streams DSL and its runtime cost over the clients they
 * run on, with JSON values — the serde most apps start with:
 *
 * ```
 * orders (4 partitions, string keys, JSON orders) → filter(qty > 0) → mapValues(+ total) → priced
 * ```
 *
 * Values are ~100-byte JSON orders (`Serdes.json`), one in ten with `qty` 0; the mapper adds
 * `total` = qty × price. The JSON serdes dominate the per-record work (the ceiling line), so the
 * runtime's own cost is measured apart in `stateless-pipeline-text`.
 *
 * Timing, the hand-written loop it is measured against, the transform-alone ceiling and the
 * targets: `../support/stateless-pipeline.ts`.
 */
import { Serdes } from '../../src/serdes/index.js'
import { orderPool, runStatelessPipelineFigure, type Order } from '../support/stateless-pipeline.js'

interface Priced extends Order {
  total: number
}

const keySerde = Serdes.string()
const orderSerde = Serdes.json<Order>()

/** The filter of both pipelines. */
function hasQuantity(_key: string, order: Order): boolean {
  return order.qty > 0
}

/** The mapper of both pipelines. */
function priced(order: Order): Priced {
  return { ...order, total: order.qty * order.price }
}

await runStatelessPipelineFigure({
  name: 'stateless-pipeline',
  description: 'Streams DSL vs a hand-written consume→transform→produce loop (embedded broker)',
  values: 'JSON values, 10% with qty 0',
  topology: 'filter(qty > 0) → mapValues(+ total)',
  keySerde,
  valueSerde: orderSerde,
  outputSerde: Serdes.json<Priced>(),
  filter: hasQuantity,
  mapper: priced,
  pool: orderPool(keySerde, orderSerde, (order) => order),
  metrics: { pipeline: 'stateless DSL pipeline', overhead: 'DSL overhead vs hand-written loop' },
})
