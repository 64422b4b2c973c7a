import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Serdes } from '../../src/serdes/index.js'
import { codeOfSync } from '../support/error-code.js'
import { hex } from './support/hex.js'
import { untyped } from './support/untyped.js'

const ORDER_SCHEMA = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'customer', type: 'string' },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }, { name: 'quantity', type: 'int' }] } } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['OPEN', 'PAID', 'SHIPPED'] } },
    { name: 'total', type: 'double' },
    { name: 'tags', type: { type: 'map', values: 'boolean' } },
    { name: 'digest', type: 'bytes' },
  ],
}

interface Order {
  id: number
  customer: string
  note: string | null
  lines: { sku: string; quantity: number }[]
  status: 'OPEN' | 'PAID' | 'SHIPPED'
  total: number
  tags: Record<string, boolean>
  digest: Uint8Array
}

const orderArbitrary: fc.Arbitrary<Order> = fc.record({
  id: fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
  customer: fc.string({ unit: 'binary' }),
  note: fc.option(fc.string(), { nil: null }),
  lines: fc.array(fc.record({ sku: fc.string(), quantity: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }), { maxLength: 5 }),
  status: fc.constantFrom('OPEN', 'PAID', 'SHIPPED'),
  total: fc.double({ noNaN: true }),
  // avsc fills maps by assignment, which turns a `__proto__` key into a prototype (documented).
  tags: fc.dictionary(fc.string().filter((key) => key !== '__proto__'), fc.boolean()),
  digest: fc.uint8Array({ maxLength: 32 }).map((bytes) => Buffer.from(bytes)),
})

const V1 = { type: 'record', name: 'Event', fields: [{ name: 'a', type: 'int' }] }
const V2 = {
  type: 'record',
  name: 'Event',
  fields: [
    { name: 'a', type: 'long' },
    { name: 'b', type: 'string', default: 'none' },
  ],
}

describe('Serdes.avro', () => {
  it('round-trips every record of a schema with nested records, unions, enums, maps and bytes', () => {
    const serde = Serdes.avro<Order>(ORDER_SCHEMA)
    fc.assert(
      fc.property(orderArbitrary, (order) => {
        expect(serde.deserialize('t', serde.serialize('t', order))).toEqual(order)
      }),
    )
  })

  it('writes plain Avro binary: zigzag varints and length-prefixed UTF-8, no header', () => {
    const serde = Serdes.avro<{ n: number; s: string }>({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'n', type: 'long' },
        { name: 's', type: 'string' },
      ],
    })
    expect(hex(serde.serialize('t', { n: -1, s: 'hi' }))).toBe('01 04 68 69')
    expect(hex(Serdes.avro<string>('"string"').serialize('t', 'a'))).toBe('02 61')
    expect(hex(Serdes.avro<number>('int').serialize('t', 64))).toBe('80 01')
  })

  it('accepts the schema as JSON text, a primitive name, or parsed JSON', () => {
    const fromText = Serdes.avro<{ a: number }>(JSON.stringify(V1))
    const fromObject = Serdes.avro<{ a: number }>(V1)
    expect(hex(fromText.serialize('t', { a: 3 }))).toBe(hex(fromObject.serialize('t', { a: 3 })))
    expect(Serdes.avro<number[]>({ type: 'array', items: 'int' }).deserialize('t', Uint8Array.of(2, 6, 0))).toEqual([3])
  })

  it('reads data written with an older schema, filling a new field with its default', () => {
    const writer = Serdes.avro<{ a: number }>(V1)
    const reader = Serdes.avro<{ a: number; b: string }>(V2, { writerSchema: V1 })
    expect(reader.deserialize('t', writer.serialize('t', { a: 7 }))).toEqual({ a: 7, b: 'none' })
  })

  it('reads data written with a newer schema, dropping the field the reader does not know', () => {
    const writer = Serdes.avro<{ a: number; b: string }>(V2)
    const reader = Serdes.avro<{ a: number }>(
      { type: 'record', name: 'Event', fields: [{ name: 'a', type: 'long' }] },
      { writerSchema: V2 },
    )
    expect(reader.deserialize('t', writer.serialize('t', { a: 7, b: 'x' }))).toEqual({ a: 7 })
  })

  it('rejects a writer schema that cannot be resolved to the reader schema with SERDES_INCOMPATIBLE_SCHEMA', () => {
    const stringA = { type: 'record', name: 'Event', fields: [{ name: 'a', type: 'string' }] }
    expect(codeOfSync(() => Serdes.avro(stringA, { writerSchema: V1 }))).toBe('SERDES_INCOMPATIBLE_SCHEMA')
    const newFieldWithoutDefault = { type: 'record', name: 'Event', fields: [{ name: 'a', type: 'int' }, { name: 'c', type: 'int' }] }
    expect(codeOfSync(() => Serdes.avro(newFieldWithoutDefault, { writerSchema: V1 }))).toBe('SERDES_INCOMPATIBLE_SCHEMA')
    // Promotion goes one way only: long does not narrow to int.
    expect(codeOfSync(() => Serdes.avro(V1, { writerSchema: V2 }))).toBe('SERDES_INCOMPATIBLE_SCHEMA')
  })

  it('rejects an invalid schema with SERDES_INVALID_SCHEMA', () => {
    expect(codeOfSync(() => Serdes.avro({ type: 'record', name: 'R', fields: 3 }))).toBe('SERDES_INVALID_SCHEMA')
    expect(codeOfSync(() => Serdes.avro('{"type":"nonsense"}'))).toBe('SERDES_INVALID_SCHEMA')
    expect(codeOfSync(() => Serdes.avro('not-a-type'))).toBe('SERDES_INVALID_SCHEMA')
    expect(codeOfSync(() => Serdes.avro(V1, { writerSchema: { type: 'enum', name: 'E' } }))).toBe('SERDES_INVALID_SCHEMA')
  })

  it('rejects a value that does not fit the schema with SERDES_INVALID_VALUE naming the path, not the value', () => {
    const serde = Serdes.avro<Order>(ORDER_SCHEMA)
    const order: Order = { id: 1, customer: 'c', note: null, lines: [], status: 'OPEN', total: 1, tags: {}, digest: Buffer.alloc(0) }
    const cases: [unknown, string][] = [
      [{ ...order, lines: [{ sku: 'secret-sku', quantity: 1.5 }] }, '$.lines.0.quantity'],
      [{ ...order, status: 'LOST' }, '$.status'],
      [{ ...order, id: 2 ** 60 }, '$.id'],
      [{ ...order, customer: undefined }, '$.customer'],
    ]
    for (const [value, path] of cases) {
      let error: { code?: string; details?: Record<string, unknown>; message?: string } = {}
      try {
        untyped(serde).serialize('t', value)
      } catch (err) {
        error = err as typeof error
      }
      expect(error.code).toBe('SERDES_INVALID_VALUE')
      expect(error.details?.path).toBe(path)
      expect(error.message).not.toContain('secret-sku')
    }
  })

  it('rejects properties the schema does not declare with SERDES_INVALID_VALUE', () => {
    const serde = Serdes.avro<{ a: number }>(V1)
    expect(codeOfSync(() => untyped(serde).serialize('t', { a: 1, typo: 2 }))).toBe('SERDES_INVALID_VALUE')
  })

  it('rejects truncated, trailing and out-of-range bytes with SERDES_INVALID_BYTES', () => {
    const serde = Serdes.avro<Order>(ORDER_SCHEMA)
    const bytes = serde.serialize('t', {
      id: 5,
      customer: 'customer',
      note: 'n',
      lines: [{ sku: 's', quantity: 1 }],
      status: 'PAID',
      total: 2,
      tags: { a: true },
      digest: Buffer.from([1, 2]),
    }) as Uint8Array
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(codeOfSync(() => serde.deserialize('t', bytes.subarray(0, cut)))).toBe('SERDES_INVALID_BYTES')
    }
    expect(codeOfSync(() => serde.deserialize('t', Buffer.concat([bytes, Buffer.of(0)])))).toBe('SERDES_INVALID_BYTES')
    // A long beyond the safe integer range: avsc refuses it rather than lose precision.
    const long = Serdes.avro<number>('long')
    expect(codeOfSync(() => long.deserialize('t', Uint8Array.of(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)))).toBe(
      'SERDES_INVALID_BYTES',
    )
  })

  it('decodes bytes fields into memory of their own, so values outlive a reused read buffer', () => {
    const serde = Serdes.avro<Buffer>('bytes')
    const pooled = Buffer.from([4, 7, 8])
    const value = serde.deserialize('t', pooled)
    pooled.fill(0)
    expect([...(value as Buffer)]).toEqual([7, 8])
  })
})
