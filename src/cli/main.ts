/**
 * `millrace` — the command line. For now: inspect segment files and a data directory's topics.
 * Producing, consuming, groups and running apps arrive with the client issues.
 *
 *   millrace dump-log <segment.log> [--records]      batches (and records) of a segment file
 *   millrace topics --data-dir <dir> [--describe]    topics of a data directory
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Broker, isMillraceError, iterateBatches } from '../log/index.js'

const USAGE = `usage:
  millrace dump-log <segment.log> [--records]
  millrace topics --data-dir <dir> [--describe]`

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'dump-log':
      return dumpLog(rest, out)
    case 'topics':
      return topics(rest, out)
    case undefined:
    case 'help':
    case '--help':
      out(USAGE)
      return command === undefined ? 2 : 0
    default:
      out(`unknown command ${command}\n${USAGE}`)
      return 2
  }
}

function dumpLog(args: string[], out: (line: string) => void): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { records: { type: 'boolean' } } })
  const file = positionals[0]
  if (!file) {
    out(USAGE)
    return 2
  }
  const bytes = readFileSync(file)
  out(`Dumping ${file}`)
  let position = 0
  for (const batch of iterateBatches(bytes, 0, bytes.length, { allowPartialTail: true })) {
    out(
      `baseOffset: ${batch.baseOffset} lastOffset: ${batch.lastOffset} count: ${batch.recordsCount} ` +
        `position: ${position} size: ${batch.sizeBytes} compression: ${batch.compression} ` +
        `isTransactional: ${batch.isTransactional} isControl: ${batch.isControl} ` +
        `producerId: ${batch.producerId} maxTimestamp: ${batch.maxTimestamp} crcValid: true`,
    )
    if (values.records) {
      batch.forEachRecord((r) => {
        out(`| offset: ${r.offset} timestamp: ${r.timestampMs} keySize: ${r.keySize} valueSize: ${r.valueSize}`)
      })
    }
    position += batch.sizeBytes
  }
  if (position < bytes.length) out(`incomplete batch at position ${position} (${bytes.length - position} bytes)`)
  return 0
}

async function topics(args: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, describe: { type: 'boolean' } } })
  const dataDir = values['data-dir']
  if (!dataDir) {
    out(USAGE)
    return 2
  }
  const broker = await Broker.open({ dataDir })
  try {
    for (const topic of broker.listTopics()) {
      if (!values.describe) {
        out(topic)
        continue
      }
      const d = broker.describeTopic(topic)
      out(`Topic: ${topic}\tTopicId: ${d.topicId}\tPartitionCount: ${d.partitions.length}`)
      for (const p of d.partitions) {
        out(
          `\tPartition: ${p.partition}\tLogStartOffset: ${p.logStartOffset}\tLogEndOffset: ${p.logEndOffset}` +
            `\tSize: ${p.sizeBytes}\tSegments: ${p.segments}${p.error ? `\tError: ${p.error.code}` : ''}`,
        )
      }
      const overrides = d.configs.filter((c) => !c.isDefault)
      if (overrides.length > 0) out(`\tConfigs: ${overrides.map((c) => `${c.name}=${c.value}`).join(',')}`)
    }
  } finally {
    await broker.close()
  }
  return 0
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))
if (isEntryPoint || process.env.MILLRACE_CLI === '1') {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      console.error(isMillraceError(err) ? `${err.code}: ${err.message}` : err)
      process.exitCode = 1
    },
  )
}
