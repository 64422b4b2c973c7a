/**
 * Child process of the exactly-once kill -9 test: runs the consume–transform–produce loop
 * (ctp-loop.ts) on the broker at `dataDir`, printing every history event as an `H {json}` line,
 * then `done` once every input is processed. The parent SIGKILLs it at a random event, or it
 * SIGKILLs itself at a crash point of a commit (`crashPoint`, JSON of a CrashPoint, or `-`).
 *
 * argv: dataDir runId crashPoint
 */
import { Broker } from '../../../src/log/broker.js'
import { NodeFileIO } from '../../../src/log/storage/node-file-io.js'
import { crashPointIO, type CrashPoint } from '../../support/crash-point-io.js'
import { historyLine } from '../../support/txn-history.js'
import { runCtp } from './ctp-loop.js'

const [dataDir, runId, crashArg] = process.argv.slice(2) as [string, string, string]
const point = crashArg === '-' ? undefined : (JSON.parse(crashArg) as CrashPoint)
function die(): never {
  process.kill(process.pid, 'SIGKILL')
  throw new Error('unreachable: SIGKILL sent to self')
}
const io = point === undefined ? new NodeFileIO() : crashPointIO(new NodeFileIO(), point, die)

const broker = await Broker.open({ dataDir, io })
// One write per event: the order on stdout is the order things happened in.
const result = await runCtp(broker, {
  runId,
  emit: (event) => process.stdout.write(historyLine(event)),
  maxRecordsPerTxn: 12,
  abortEvery: 5,
  lingerMs: 1,
})
await broker.close()
process.stdout.write(`${result}\n`)
