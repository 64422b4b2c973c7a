/** `millrace dump-log <segment.log> [--records]`: the batches of a segment file, like `kafka-dump-log`. */
import { readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { isMillraceError, iterateBatches, type RecordBatch } from '../../log/index.js'
import { EXIT_OK, expectPositionals, parseFlags, type CliIo } from '../args.js'

/** Help of `millrace dump-log`. */
export const DUMP_LOG_HELP = `usage: millrace dump-log <segment.log> [--records] [--data-dir <dir>]

Prints every batch of a segment file: offsets, position, size, compression, transactional and
control flags, producer id, max timestamp and whether its CRC-32C and header checks pass
(crcValid). A torn tail is reported, not an error.

Reads the file directly (no broker, no lock), so it also works while another command holds the
data directory.

  --records          also print each record's offset, timestamp and key/value sizes
  --data-dir <dir>   resolve a relative <segment.log> against <dir>, e.g. orders-0/00000000000000000000.log
`

/** Runs `millrace dump-log …`; resolves with the exit code. @throws `CLI_USAGE`, file system errors (`ENOENT`, …). */
export async function dumpLog(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, { records: { type: 'boolean' }, 'data-dir': { type: 'string' } })
  if (values.help) {
    await io.stdout(DUMP_LOG_HELP)
    return EXIT_OK
  }
  const [path] = expectPositionals(positionals, ['segment.log']) as [string]
  // Unlike other commands, no default data directory: a bare relative path means the working directory.
  const dataDir = values['data-dir']
  const file = dataDir === undefined || isAbsolute(path) ? path : join(dataDir, path)
  const bytes = readFileSync(file)
  await io.stdout(`Dumping ${file}\n`)
  let position = 0
  // CRCs are checked per batch below so a bad batch is reported instead of ending the dump.
  for (const batch of iterateBatches(bytes, 0, bytes.length, { allowPartialTail: true, verifyCrc: false })) {
    const crcValid = isValid(batch)
    // Written batch by batch: what precedes a structurally broken batch is still printed.
    const lines = [
      `baseOffset: ${batch.baseOffset} lastOffset: ${batch.lastOffset} count: ${batch.recordsCount} ` +
        `position: ${position} size: ${batch.sizeBytes} compression: ${batch.compression} ` +
        `isTransactional: ${batch.isTransactional} isControl: ${batch.isControl} ` +
        `producerId: ${batch.producerId} maxTimestamp: ${batch.maxTimestamp} crcValid: ${crcValid}`,
    ]
    if (values.records && crcValid) {
      batch.forEachRecord((r) => {
        lines.push(`| offset: ${r.offset} timestamp: ${r.timestampMs} keySize: ${r.keySize} valueSize: ${r.valueSize}`)
      })
    } else if (values.records) {
      lines.push('| records not decoded: the batch failed validation')
    }
    await io.stdout(lines.join('\n') + '\n')
    position += batch.sizeBytes
  }
  if (position < bytes.length) await io.stdout(`incomplete batch at position ${position} (${bytes.length - position} bytes)\n`)
  return EXIT_OK
}

function isValid(batch: RecordBatch): boolean {
  try {
    batch.validate()
    return true
  } catch (err) {
    // Named decision: a corrupt batch is this command's finding, reported as crcValid: false.
    if (isMillraceError(err, 'LOG_CORRUPT_BATCH')) return false
    throw err
  }
}
