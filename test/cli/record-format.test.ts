import { describe, expect, it } from 'vitest'
import { compileFormat, type FormattableRecord } from '../../src/cli/record-format.js'

function record(key: string | null, value: string | null, headers: [string, string | null][] = []): FormattableRecord {
  const bytes = (text: string | null): Uint8Array | null => (text === null ? null : Buffer.from(text))
  return {
    topic: 'orders',
    partition: 2,
    offset: 0,
    timestampMs: 1_700_000_000_123,
    key: bytes(key),
    value: bytes(value),
    headers: headers.map(([k, v]) => ({ key: k, value: bytes(v) })),
  }
}

describe('compileFormat', () => {
  it('prints every directive and escape', () => {
    const f = compileFormat('%t|%p|%o|%T|%k|%v|%K|%V|%h|%H|100%%\\t\\\\\\n')
    expect(f(record('k', 'välue', [['a', '1'], ['b', null]]))).toBe(
      'orders|2|0|1700000000123|k|välue|1|6|a=1,b=|2|100%\t\\\n',
    )
  })

  it('prints null keys and values as nothing and their sizes as -1', () => {
    expect(compileFormat('[%k][%v] %K %V')(record(null, null))).toBe('[][] -1 -1')
  })

  it('prints null keys, values and header values as the nullText option', () => {
    expect(compileFormat('%k|%v|%h', { nullText: 'NULL' })(record(null, null, [['h', null]]))).toBe('NULL|NULL|h=NULL')
  })

  it.each(['%x', '%', '\\q', 'end\\'])('rejects %j with CLI_USAGE', (template) => {
    expect(() => compileFormat(template)).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }))
  })
})
