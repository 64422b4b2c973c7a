/**
 * The flagship pipeline on the embedded defaults: a streams app prices orders as they arrive.
 *
 *   orders ──filter(qty > 0)──▶ mapValues(price) ──split──▶ large-orders   (total ≥ 1,000)
 *                                                        └─▶ priced-orders  (the rest)
 *
 * It opens (or reopens) the data directory, creates the topics, appends 30,000 new orders (a few
 * with quantity 0, which the filter drops), runs the app until it has committed the end of the
 * input, and prints what it wrote and the topology (Kafka's describe() format). Run it again: the
 * app resumes from its committed offsets and prices only the new orders.
 *
 *   npm start                          # data in ./millrace-data
 *   MILLRACE_DATA_DIR=/tmp/x npm start
 */
import { Broker } from 'millrace/log'
import { Serdes } from 'millrace/serdes'
import { StreamsApp, StreamsBuilder } from 'millrace/streams'

interface Order {
  orderId: number
  sku: string
  qty: number
  unitPrice: number
}
interface PricedOrder extends Order {
  total: number
}

const dataDir = process.env.MILLRACE_DATA_DIR ?? './millrace-data'
const ORDERS = 30_000
const PARTITIONS = 3
const LARGE_TOTAL = 1_000

// 1. The topology: typed end to end, no broker needed to build (or unit-test) it.
const builder = new StreamsBuilder()
const priced = builder
  .stream('orders', { key: Serdes.string(), value: Serdes.json<Order>() })
  .filter((sku, order) => order.qty > 0, { name: 'valid-orders' })
  .mapValues((order): PricedOrder => ({ ...order, total: Math.round(order.qty * order.unitPrice * 100) / 100 }), { name: 'price' })
const bySize = priced
  .split({ name: 'size-' })
  .branch((sku, order) => order.total >= LARGE_TOTAL, { name: 'large' })
  .defaultBranch({ name: 'regular' })
const pricedSerdes = { key: Serdes.string(), value: Serdes.json<PricedOrder>() }
bySize['size-large'].to('large-orders', pricedSerdes)
bySize['size-regular'].to('priced-orders', pricedSerdes)
const topology = builder.build()

const broker = await Broker.open({ dataDir })
try {
  // 2. Topics and input: 30,000 orders keyed by SKU (so one SKU's orders stay in order).
  const admin = broker.admin()
  const existing = new Set(await admin.listTopics())
  const fresh = !existing.has('orders')
  for (const topic of ['orders', 'priced-orders', 'large-orders']) {
    if (!existing.has(topic)) await admin.createTopics([{ topic, partitions: PARTITIONS }])
  }
  const endOf = async (topic: string): Promise<number> =>
    (await admin.listOffsets([0, 1, 2].map((partition) => ({ topic, partition, spec: 'latest' as const })))).reduce((n, o) => n + (o.offset ?? 0), 0)
  const first = await endOf('orders')
  const producer = broker.producer({ lingerMs: 5 })
  const key = Serdes.string()
  const value = Serdes.json<Order>()
  await producer.sendBatch(
    Array.from({ length: ORDERS }, (_, i) => {
      const n = first + i
      const order: Order = { orderId: n, sku: `sku-${n % 97}`, qty: n % 11, unitPrice: 5 + (n % 23) * 10 }
      return { topic: 'orders', key: key.serialize('orders', order.sku), value: value.serialize('orders', order) }
    }),
  )
  await producer.close()
  console.log(`${fresh ? 'created topics orders, priced-orders, large-orders' : 'found the topics'}; appended ${ORDERS} orders in ${dataDir}`)

  // 3. The app: joins group `order-pricing`, processes, commits every 100 ms.
  const app = new StreamsApp(topology, { applicationId: 'order-pricing', client: broker, commitIntervalMs: 100 })
  app.state$.subscribe((state) => console.log(`app: ${state}`))
  const started = performance.now()
  await app.start()
  const ends = await admin.listOffsets([0, 1, 2].map((partition) => ({ topic: 'orders', partition, spec: 'latest' as const })))
  const deadline = performance.now() + 60_000
  for (;;) {
    const committed = await admin.listGroupOffsets('order-pricing', ends)
    if (ends.every((e) => committed.some((c) => c.partition === e.partition && c.offset === e.offset))) break
    if (performance.now() > deadline) throw new Error('the app did not catch up within 60 s')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const seconds = (performance.now() - started) / 1000
  await app.close()

  console.log(`priced ${ORDERS} new orders in ${seconds.toFixed(2)} s`)
  console.log(`large-orders: ${await endOf('large-orders')} records, priced-orders: ${await endOf('priced-orders')} records (all runs)`)
  console.log(topology.describe().toString())
  await admin.close()
} finally {
  await broker.close()
}
