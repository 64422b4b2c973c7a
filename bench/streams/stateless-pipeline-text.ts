/**
 * Figure `stateless-pipeline-text`: the `stateless-pipeline` topology with a cheap serde, so that
 * the runtime's own per-record cost is not hidden behind JSON parsing and stringifying:
 *
 * ```
 * orders (4 partitions, string keys, text orders) → filter(qty ≠ "0") → mapValues(+ ";priced") → priced
 * ```
 *
 * Values are the same orders as semicolon-separated UTF-8 lines, `id;qty;price;sku;customer;ts`
 * (`o-0000042;3;12.50;SKU-000042;c-000042;1700000000042`, ~51 bytes), with `Serdes.string()` for
 * keys, values and outputs; one in ten has quantity 0. The filter compares two character codes
 * after the first ';' (no split); the mapper appends the constant field `;priced`. Appending
 * `;<total>` as the JSON figure does would mean parsing the price (a slice and `parseFloat`) and
 * formatting a float per record, which costs more than the string serde this figure isolates.
 *
 * Timing, the hand-written loop it is measured against, the transform-alone ceiling and the
 * targets: `../support/stateless-pipeline.ts`.
 */
import { Serdes } from '../../src/serdes/index.js'
import { orderPool, runStatelessPipelineFigure, type Order } from '../support/stateless-pipeline.js'

/** Keys, order lines and priced lines: one string serde object for all three. */
const stringSerde = Serdes.string()
const SEMICOLON = 0x3b
const DIGIT_ZERO = 0x30

/** The order as a line: the price with two decimals. */
function orderLine(order: Order): string {
  return `${order.id};${order.qty};${order.price.toFixed(2)};${order.sku};${order.customer};${order.ts}`
}

/** The filter of both pipelines: the second field (quantity) is not exactly "0". */
function hasQuantity(_key: string, orderText: string): boolean {
  const qtyStart = orderText.indexOf(';') + 1
  return orderText.charCodeAt(qtyStart) !== DIGIT_ZERO || orderText.charCodeAt(qtyStart + 1) !== SEMICOLON
}

/** The mapper of both pipelines: one concatenation (see the header for why not the total). */
function priced(orderText: string): string {
  return `${orderText};priced`
}

await runStatelessPipelineFigure({
  name: 'stateless-pipeline-text',
  description: 'Streams DSL vs a hand-written consume→transform→produce loop, string serde (embedded broker)',
  values: 'text values `id;qty;price;sku;customer;ts`, 10% with qty 0',
  topology: 'filter(qty ≠ "0") → mapValues(+ ";priced")',
  keySerde: stringSerde,
  valueSerde: stringSerde,
  outputSerde: stringSerde,
  filter: hasQuantity,
  mapper: priced,
  pool: orderPool(stringSerde, stringSerde, orderLine),
  metrics: { pipeline: 'stateless DSL pipeline, string serde', overhead: 'DSL overhead vs hand-written loop, string serde' },
})
