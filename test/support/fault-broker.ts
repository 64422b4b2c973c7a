import { onTestFinished } from 'vitest'
import { Broker } from '../../src/log/broker.js'
import { ManualClock } from '../../src/log/clock.js'
import type { FaultFileIO } from '../../src/log/storage/fault-file-io.js'

/**
 * Opens a broker on `io` at `dataDir` with a manual clock, closed after the test; one that is to
 * crash (`crashes`) is left as the crash leaves it.
 */
export async function openFaultBroker(io: FaultFileIO, dataDir: string, options: { crashes?: boolean; clock?: ManualClock } = {}): Promise<Broker> {
  const broker = await Broker.open({ dataDir, io, clock: options.clock ?? new ManualClock() })
  if (options.crashes !== true) {
    onTestFinished(async () => {
      if (!broker.isClosed) await broker.close()
    })
  }
  return broker
}
