/**
 * Figure `seed-comparison`: Millrace beside the brokers a team would otherwise reach for, in one
 * run, on loopback, with 124-byte messages: NATS JetStream (127.0.0.1:4222), Redis Streams
 * (127.0.0.1:6379), RabbitMQ (127.0.0.1:5672, guest/guest). Three columns, each in messages/s:
 *
 * - sync: `BENCH_CLIENTS_SYNC_MESSAGES` messages, one at a time, each awaited until acknowledged
 *   (publisher confirms for RabbitMQ, PubAck for JetStream, the XADD reply for Redis, the append
 *   for Millrace);
 * - batched: `BENCH_CLIENTS_BATCH_MESSAGES` messages pipelined/batched the fastest idiomatic way
 *   for each client, all acknowledged;
 * - consume: those batched messages read back from the start.
 *
 * Each peer's exact mode is printed under the table. A peer is skipped only when nothing listens
 * on its port; the streams/queues it creates are deleted afterwards. Millrace runs in-process
 * (that is its point), the peers over loopback TCP: the comparison is of what an application
 * gets, not of server internals.
 */
import { join } from 'node:path'
import { Broker } from '../../src/log/broker.js'
import { describeScratch, envInt, fmtRate, heading, line, median, nowMs, printTarget, skip, withScratchDir } from '../support/harness.js'
import { CLIENT_REPS } from '../support/client-workload.js'
import { openMillrace } from '../support/peers/millrace.js'
import { openNatsJetStream } from '../support/peers/nats-jetstream.js'
import { isReachable, type PeerSystem } from '../support/peers/peer.js'
import { openRabbitMq } from '../support/peers/rabbitmq.js'
import { openRedisStreams } from '../support/peers/redis-streams.js'

const MESSAGE_BYTES = 124
const SYNC_MESSAGES = envInt('BENCH_CLIENTS_SYNC_MESSAGES', 1000)
const BATCH_MESSAGES = envInt('BENCH_CLIENTS_BATCH_MESSAGES', 20_000)
const HOST = '127.0.0.1'

interface PeerSpec {
  name: string
  port: number
  open: (payload: Buffer) => Promise<PeerSystem>
}

const PEERS: readonly PeerSpec[] = [
  { name: 'NATS JetStream', port: 4222, open: (p) => openNatsJetStream(`${HOST}:4222`, p) },
  { name: 'Redis Streams', port: 6379, open: (p) => openRedisStreams(`redis://${HOST}:6379`, p) },
  { name: 'RabbitMQ', port: 5672, open: (p) => openRabbitMq(`amqp://guest:guest@${HOST}:5672`, p) },
]

type Column = 'sync' | 'batched' | 'consume'
const COLUMNS: readonly Column[] = ['sync', 'batched', 'consume']

/** Messages/s per column, one entry per rep. */
type Rates = Record<Column, number[]>

async function timed(count: number, body: () => Promise<void>): Promise<number> {
  const t0 = nowMs()
  await body()
  return count / ((nowMs() - t0) / 1000)
}

/** One round of the three columns; `scale` < 1 shrinks the counts (the warm-up round). */
async function measure(system: PeerSystem, rates: Rates, scale = 1): Promise<void> {
  const syncCount = Math.max(1, Math.round(SYNC_MESSAGES * scale))
  const batchCount = Math.max(1, Math.round(BATCH_MESSAGES * scale))
  await system.reset()
  rates.sync.push(await timed(syncCount, () => system.sendSync(syncCount)))
  await system.reset()
  rates.batched.push(await timed(batchCount, () => system.sendBatched(batchCount)))
  rates.consume.push(await timed(batchCount, () => system.consume(batchCount)))
}

/** The warm-up round moves a tenth of the messages: enough for the JIT and the connections. */
const WARM_UP_SCALE = 0.1

let cleanupFailures: unknown[] = []
await withScratchDir('seed-comparison', async (dir) => {
  const payload = Buffer.alloc(MESSAGE_BYTES, 0x6d)
  const broker = await Broker.open({ dataDir: join(dir, 'broker') })
  const systems: PeerSystem[] = []
  const skipped: string[] = []
  try {
    systems.push(openMillrace(broker, payload))
    for (const peer of PEERS) {
      if (await isReachable(HOST, peer.port)) systems.push(await peer.open(payload))
      else skipped.push(`${peer.name} (nothing listens on ${HOST}:${peer.port})`)
    }
    heading('seed-comparison', `Millrace vs NATS JetStream, Redis Streams, RabbitMQ on loopback, ${MESSAGE_BYTES} B messages`, [
      `sync: ${SYNC_MESSAGES.toLocaleString('en')} messages one at a time, each awaited; batched: ${BATCH_MESSAGES.toLocaleString('en')} messages pipelined; ` +
        `consume: the batched messages read back from the start. Median of ${CLIENT_REPS} rounds (after a warm-up round of a tenth).`,
      `Millrace scratch: ${describeScratch(dir)}`,
    ])
    const rates = new Map<PeerSystem, Rates>(systems.map((s) => [s, { sync: [], batched: [], consume: [] }]))
    // Warm-up round (JIT, connections, server caches), then the systems interleaved per round.
    for (const system of systems) await measure(system, { sync: [], batched: [], consume: [] }, WARM_UP_SCALE)
    for (let rep = 0; rep < CLIENT_REPS; rep++) {
      for (const system of systems) await measure(system, rates.get(system) as Rates)
    }

    const medians = new Map<PeerSystem, Record<Column, number>>()
    for (const [system, r] of rates) medians.set(system, { sync: median(r.sync), batched: median(r.batched), consume: median(r.consume) })
    const cell = (v: number): string => `${fmtRate(v)} msg/s`.padStart(16)
    line('', COLUMNS.map((c) => c.padStart(16)).join(''))
    for (const [system, m] of medians) line(system.name, COLUMNS.map((c) => cell(m[c])).join(''))
    for (const s of skipped) skip(`peer ${s}`)

    const millrace = systems[0] as PeerSystem
    const own = medians.get(millrace) as Record<Column, number>
    const peers = systems.slice(1)
    if (peers.length === 0) {
      line('ratio', 'no peer reachable: nothing to compare against')
    } else {
      const ratios = COLUMNS.map((c) => {
        const best = peers.reduce((a, b) => ((medians.get(a) as Record<Column, number>)[c] >= (medians.get(b) as Record<Column, number>)[c] ? a : b))
        return { column: c, best, ratio: own[c] / (medians.get(best) as Record<Column, number>)[c] }
      })
      line('Millrace / best peer', ratios.map((r) => `${r.ratio.toFixed(2)}x`.padStart(16)).join(''))
      line('(best peer)', ratios.map((r) => r.best.name.slice(0, 15).padStart(16)).join(''))
      const batched = ratios.find((r) => r.column === 'batched') as (typeof ratios)[number]
      printTarget({ metric: `batched send vs best peer (${batched.best.name})`, value: batched.ratio, target: 5, direction: 'min', format: (v) => `${v.toFixed(2)}x` })
    }
    console.log('   modes:')
    for (const system of systems) console.log(`     ${system.name}: ${system.detail}`)
  } finally {
    cleanupFailures = await closeAll(systems)
    await broker.close()
  }
})
// Thrown after the figure so an error of the measurement itself is never masked (both are printed).
if (cleanupFailures.length > 0) throw new AggregateError(cleanupFailures, 'cleaning up the seed-comparison peers failed')

/** Closes every system (deleting its stream/queue) even when one fails; returns the failures, also printed. */
async function closeAll(systems: readonly PeerSystem[]): Promise<unknown[]> {
  const failures: unknown[] = []
  for (const system of systems) {
    try {
      await system.close()
    } catch (err) {
      // reason: the other peers must still be cleaned up; the failure is printed and rethrown after the figure.
      console.error(`   cleanup of ${system.name} failed:`, err)
      failures.push(err)
    }
  }
  return failures
}
