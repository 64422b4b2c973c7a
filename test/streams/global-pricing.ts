/**
 * The topology of the global table suites (test driver and app): `prices` (product → cents) as
 * the global table `prices`, and `orders` (order → product) priced by a processor that looks the
 * product up in it, into `priced` (order → cents, -1 when unknown).
 */
import { Serdes } from '../../src/serdes/index.js'
import {
  Record as StreamsRecord,
  StreamsBuilder,
  taskIdToString,
  type KeyValueStore,
  type ProcessorContext,
  type StoreBackendKind,
  type Topology,
  type ValueAndTimestamp,
} from '../../src/streams/index.js'

const S = Serdes.string()
const I = Serdes.int32()

/** What the pricing processor saw. */
export interface PricingProbe {
  /** Entries of the global store when the first order was processed. */
  entriesAtFirstOrder?: number
  /** The tasks that priced orders. */
  readonly tasks: Set<string>
}

export interface PricingOptions {
  /** Default `'memory'`. */
  readonly backend?: StoreBackendKind
  /** The stores the pricing processor names (default: the global table's). */
  readonly stores?: readonly string[]
  readonly probe?: PricingProbe
}

export function pricing(options: PricingOptions = {}): Topology {
  const builder = new StreamsBuilder()
  const prices = builder.globalTable('prices', { key: S, value: I }, { name: 'prices', backend: options.backend ?? 'memory' })
  const probe = options.probe
  builder
    .stream('orders', { key: S, value: S })
    .process<string, number>(
      () => {
        let context: ProcessorContext<string, number>
        let store: KeyValueStore<string, ValueAndTimestamp<number>>
        return {
          init: (c) => {
            context = c
            store = c.getStateStore(prices.queryableStoreName)
          },
          process: (r) => {
            if (probe !== undefined) {
              probe.entriesAtFirstOrder ??= [...store.all()].length
              probe.tasks.add(taskIdToString(context.taskId))
            }
            context.forward(new StreamsRecord(r.key, store.get(r.value)?.value ?? -1, r.timestampMs))
          },
        }
      },
      { stores: options.stores ?? [prices.queryableStoreName] },
    )
    .to('priced', { key: S, value: I })
  return builder.build()
}
