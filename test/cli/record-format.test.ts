import { describe, expect, it } from 'vitest'
import { RecordBatch } from '../../src/log/index.js'
import { encodeRecordBatch } from '../../src/log/record/batch-builder.js'
import { compileFormat } from '../../src/cli/record-format.js'

function record(key: string | null, value: string | null, headers: [string, string | null][] = []) {
  const batch = new RecordBatch(
    encodeRecordBatch([
      {
        key: key === null ? null : Buffer.from(key),
        value: value === null ? null : Buffer.from(value),
        headers: headers.map(([k, v]) => ({ key: k, value: v === null ? null : Buffer.from(v) })),
        timestampMs: 1_700_000_000_123,
      },
    ]),
  )
  const [r] = batch.records()
  if (!r) throw new Error('no record')
  return r
}

describe('compileFormat', () => {
  it('prints every directive and escape', () => {
    const f = compileFormat('%t|%p|%o|%T|%k|%v|%K|%V|%h|%H|100%%\\t\\\\\\n')
    expect(f('orders', 2, record('k', 'välue', [['a', '1'], ['b', null]]))).toBe(
      'orders|2|0|1700000000123|k|välue|1|6|a=1,b=|2|100%\t\\\n',
    )
  })

  it('prints null keys and values as nothing and their sizes as -1', () => {
    expect(compileFormat('[%k][%v] %K %V')('t', 0, record(null, null))).toBe('[][] -1 -1')
  })

  it.each(['%x', '%', '\\q', 'end\\'])('rejects %j with CLI_USAGE', (template) => {
    expect(() => compileFormat(template)).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }))
  })
})
