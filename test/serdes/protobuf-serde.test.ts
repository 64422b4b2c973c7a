import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import protobuf from 'protobufjs'
import { Serdes } from '../../src/serdes/index.js'
import { codeOfSync } from '../support/error-code.js'
import { fromHex, hex } from './support/hex.js'
import { SHOP_PROTO } from './support/shop-proto.js'
import { untyped } from './support/untyped.js'

interface Line {
  sku: string
  quantity: number
}

interface Order {
  id: bigint
  customer: string
  lines: Line[]
  status: string | number
  total: number
  counters: Record<string, bigint>
  digest: Uint8Array
  gift: boolean
  items: number
  balance: bigint
  weight: number
  note?: string
  card?: string
  voucher?: number
  first: Line | null
  labels: Record<string, string>
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 }
const lineArbitrary = fc.record({ sku: fc.string(), quantity: fc.integer(INT32) })

const orderArbitrary: fc.Arbitrary<Order> = fc
  .record({
    id: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    customer: fc.string({ unit: 'binary' }),
    lines: fc.array(lineArbitrary, { maxLength: 4 }),
    status: fc.oneof(fc.constantFrom('STATUS_UNKNOWN', 'OPEN', 'PAID'), fc.integer({ min: 3, max: 1000 })),
    total: fc.double(),
    counters: fc.dictionary(fc.string(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
    digest: fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes)),
    gift: fc.boolean(),
    items: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    balance: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    weight: fc.float(),
    first: fc.option(lineArbitrary, { nil: null }),
    labels: fc.dictionary(fc.integer(INT32).map(String), fc.string()),
    note: fc.option(fc.string(), { nil: undefined }),
    payment: fc.oneof(
      fc.constant({}),
      fc.string().map((card) => ({ card })),
      fc.integer(INT32).map((voucher) => ({ voucher })),
    ),
  })
  .map(({ payment, note, ...order }) => ({ ...order, ...payment, ...(note === undefined ? {} : { note }) }))

/** An Order with every field unset, as the serde reads it. */
const EMPTY_ORDER: Order = {
  id: 0n,
  customer: '',
  lines: [],
  status: 'STATUS_UNKNOWN',
  total: 0,
  counters: {},
  digest: Buffer.alloc(0),
  gift: false,
  items: 0,
  balance: 0n,
  weight: 0,
  first: null,
  labels: {},
}

describe('Serdes.protobuf', () => {
  const serde = Serdes.protobuf<Order>({ proto: SHOP_PROTO, messageType: 'shop.v1.Order' })

  it('round-trips every message: 64-bit fields as bigints, enums by name, maps, oneofs, optional and nested fields', () => {
    fc.assert(
      fc.property(orderArbitrary, (order) => {
        expect(serde.deserialize('t', serde.serialize('t', order))).toEqual(order)
      }),
    )
  })

  it('fills unset fields with their defaults, and leaves unset oneof and optional fields absent', () => {
    expect(serde.deserialize('t', new Uint8Array(0))).toEqual(EMPTY_ORDER)
  })

  it('writes protobuf binary: field tags and varints, nothing else', () => {
    const small = Serdes.protobuf<{ id: bigint; customer: string }>({
      proto: 'syntax = "proto3"; message M { int64 id = 1; string customer = 2; }',
      messageType: 'M',
    })
    expect(hex(small.serialize('t', { id: 150n, customer: 'hi' }))).toBe('08 96 01 12 02 68 69')
    expect(small.deserialize('t', fromHex('08 96 01 12 02 68 69'))).toEqual({ id: 150n, customer: 'hi' })
  })

  it('accepts a protobufjs Type as well as .proto source, and keeps field names as written with keepCase', () => {
    const type = protobuf.parse('syntax = "proto3"; message M { int32 order_id = 1; }').root.lookupType('M')
    expect(Serdes.protobuf<{ orderId: number }>(type).deserialize('t', fromHex('08 05'))).toEqual({ orderId: 5 })
    const kept = Serdes.protobuf<{ order_id: number }>({
      proto: 'syntax = "proto3"; message M { int32 order_id = 1; }',
      messageType: 'M',
      keepCase: true,
    })
    expect(kept.deserialize('t', fromHex('08 05'))).toEqual({ order_id: 5 })
  })

  it('accepts safe-integer numbers for 64-bit fields, and reads them back as bigints', () => {
    const bytes = serde.serialize('t', { id: 42, balance: -3 } as unknown as Order)
    expect(serde.deserialize('t', bytes)).toMatchObject({ id: 42n, balance: -3n })
  })

  it('skips fields the reader does not know and defaults fields the writer did not send', () => {
    const v2 = Serdes.protobuf<{ a: number; b: string }>({ proto: 'syntax = "proto3"; message M { int32 a = 1; string b = 2; }', messageType: 'M' })
    const v1 = Serdes.protobuf<{ a: number }>({ proto: 'syntax = "proto3"; message M { int32 a = 1; }', messageType: 'M' })
    expect(v1.deserialize('t', v2.serialize('t', { a: 1, b: 'x' }))).toEqual({ a: 1 })
    expect(v2.deserialize('t', v1.serialize('t', { a: 1 }))).toEqual({ a: 1, b: '' })
  })

  it('rejects a value that does not fit the message with SERDES_INVALID_VALUE naming the path', () => {
    const valid: Order = { ...EMPTY_ORDER, id: 1n, customer: 'c', status: 'OPEN' }
    const cases: [unknown, string][] = [
      ['not an object', '$'],
      [{ ...valid, id: 2n ** 63n }, '$.id'],
      [{ ...valid, id: 1.5 }, '$.id'],
      [{ ...valid, customer: 7 }, '$.customer'],
      [{ ...valid, lines: [{ sku: 's', quantity: 2 ** 31 }] }, '$.lines.0.quantity'],
      [{ ...valid, lines: {} }, '$.lines'],
      [{ ...valid, status: 'LOST' }, '$.status'],
      [{ ...valid, counters: { a: -1n } }, '$.counters.a'],
      [{ ...valid, labels: { x: 'y' } }, '$.labels.x'],
      [{ ...valid, digest: 'AAE=' }, '$.digest'],
      [{ ...valid, gift: 1 }, '$.gift'],
      [{ ...valid, items: -1 }, '$.items'],
      [{ ...valid, total: '1' }, '$.total'],
      [{ ...valid, first: 'x' }, '$.first'],
      [{ ...valid, card: 'c', voucher: 1 }, '$.payment'],
      [{ ...valid, typo: 1 }, '$.typo'],
    ]
    for (const [value, path] of cases) {
      let error: { code?: string; details?: Record<string, unknown> } = {}
      try {
        untyped(serde).serialize('t', value)
      } catch (err) {
        error = err as typeof error
      }
      expect({ path, code: error.code, at: error.details?.path }).toEqual({ path, code: 'SERDES_INVALID_VALUE', at: path })
    }
  })

  it('rejects a message nested deeper than protobufjs allows, a cycle included, with SERDES_INVALID_VALUE', () => {
    const tree = Serdes.protobuf({ proto: 'syntax = "proto3"; message Node { Node child = 1; }', messageType: 'Node' })
    const cyclic: Record<string, unknown> = {}
    cyclic.child = cyclic
    expect(codeOfSync(() => untyped(tree).serialize('t', cyclic))).toBe('SERDES_INVALID_VALUE')
  })

  it('rejects a missing proto2 required field on both paths', () => {
    const required = Serdes.protobuf<{ a?: number }>({ proto: 'syntax = "proto2"; message M { required int32 a = 1; }', messageType: 'M' })
    expect(codeOfSync(() => required.serialize('t', {}))).toBe('SERDES_INVALID_VALUE')
    expect(codeOfSync(() => required.deserialize('t', new Uint8Array(0)))).toBe('SERDES_INVALID_BYTES')
  })

  it('rejects truncated and malformed bytes with SERDES_INVALID_BYTES', () => {
    const bytes = serde.serialize('t', {
      id: 1n,
      customer: 'customer',
      lines: [{ sku: 'sku', quantity: 3 }],
      digest: Uint8Array.of(1, 2, 3),
    } as Order) as Uint8Array
    for (let cut = 1; cut < bytes.length; cut++) {
      const truncated = bytes.subarray(0, cut)
      // A cut between two fields leaves a shorter valid message; every other cut is malformed.
      const code = codeOfSync(() => serde.deserialize('t', truncated))
      expect([undefined, 'SERDES_INVALID_BYTES']).toContain(code)
    }
    expect(codeOfSync(() => serde.deserialize('t', bytes.subarray(0, bytes.length - 1)))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => serde.deserialize('t', fromHex('0f')))).toBe('SERDES_INVALID_BYTES')
    expect(codeOfSync(() => serde.deserialize('t', fromHex('12 05 61')))).toBe('SERDES_INVALID_BYTES')
  })

  it('decodes bytes fields into memory of their own, so values outlive a reused read buffer', () => {
    const pooled = Buffer.from(serde.serialize('t', { digest: Uint8Array.of(7, 8) } as Order) as Uint8Array)
    const value = serde.deserialize('t', pooled)
    pooled.fill(0)
    expect(value?.digest).toEqual(Buffer.of(7, 8))
  })

  it('rejects .proto source that does not parse, names no message, or leaves a type unresolved, with SERDES_INVALID_SCHEMA', () => {
    expect(codeOfSync(() => Serdes.protobuf({ proto: 'message {', messageType: 'M' }))).toBe('SERDES_INVALID_SCHEMA')
    expect(codeOfSync(() => Serdes.protobuf({ proto: SHOP_PROTO, messageType: 'shop.v1.Missing' }))).toBe('SERDES_INVALID_SCHEMA')
    expect(codeOfSync(() => Serdes.protobuf({ proto: SHOP_PROTO, messageType: 'shop.v1.Status' }))).toBe('SERDES_INVALID_SCHEMA')
    expect(codeOfSync(() => Serdes.protobuf({ proto: 'syntax = "proto3"; message M { Z z = 1; }', messageType: 'M' }))).toBe(
      'SERDES_INVALID_SCHEMA',
    )
  })
})
