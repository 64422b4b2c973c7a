/**
 * The DSL's type inference, checked by the compiler (`npm run typecheck`): `expectTypeOf`
 * assertions and `@ts-expect-error` lines fail the type check when inference changes.
 */
import { describe, expectTypeOf, it } from 'vitest'
import { Serdes } from '../../../src/serdes/index.js'
import { StreamsBuilder, type KStream } from '../../../src/streams/index.js'

interface Order {
  id: string
  qty: number
}
interface Big extends Order {
  big: true
}

describe('KStream type inference', () => {
  it('infers key and value types from the serdes and through every operator', () => {
    const builder = new StreamsBuilder()
    const orders = builder.stream('orders', { key: Serdes.string(), value: Serdes.json<Order>() })
    expectTypeOf(orders).toEqualTypeOf<KStream<string, Order>>()
    expectTypeOf(builder.stream('raw')).toEqualTypeOf<KStream<Uint8Array, Uint8Array>>()
    expectTypeOf(orders.filter((k, o) => o.qty > 0)).toEqualTypeOf<KStream<string, Order>>()
    expectTypeOf(orders.mapValues((o) => o.qty)).toEqualTypeOf<KStream<string, number>>()
    expectTypeOf(orders.map((k, o) => ({ key: o.qty, value: k }))).toEqualTypeOf<KStream<number, string>>()
    expectTypeOf(orders.selectKey((k, o) => o.qty > 1)).toEqualTypeOf<KStream<boolean, Order>>()
    expectTypeOf(orders.flatMap((k, o) => [{ key: o.id, value: o.qty }])).toEqualTypeOf<KStream<string, number>>()
    expectTypeOf(orders.flatMapValues((o) => [o.id])).toEqualTypeOf<KStream<string, string>>()
    expectTypeOf(orders.peek(() => undefined)).toEqualTypeOf<KStream<string, Order>>()
    expectTypeOf(orders.repartition()).toEqualTypeOf<KStream<string, Order>>()
  })

  it('narrows with a type-guard filter', () => {
    const orders = new StreamsBuilder().stream('orders', { key: Serdes.string(), value: Serdes.json<Order | null>() })
    expectTypeOf(orders.filter((k, o): o is Order => o !== null)).toEqualTypeOf<KStream<string, Order>>()
    expectTypeOf(orders.filter((k, o) => o !== null)).toEqualTypeOf<KStream<string, Order>>()
    const all = new StreamsBuilder().stream('orders', { key: Serdes.string(), value: Serdes.json<Order>() })
    expectTypeOf(all.filter((k, o): o is Big => 'big' in o)).toEqualTypeOf<KStream<string, Big>>()
  })

  it('types named split branches by their full names', () => {
    const orders = new StreamsBuilder().stream('orders', { key: Serdes.string(), value: Serdes.json<Order>() })
    const branches = orders
      .split({ name: 'o-' })
      .branch((k, o) => o.qty > 10, { name: 'large' })
      .defaultBranch({ name: 'rest' })
    expectTypeOf(branches['o-large']).toEqualTypeOf<KStream<string, Order>>()
    expectTypeOf(branches['o-rest']).toEqualTypeOf<KStream<string, Order>>()
    // @ts-expect-error: no such branch
    void branches['o-small']
    const unnamed = orders.split().branch((k, o) => o.qty > 10).noDefaultBranch()
    expectTypeOf(unnamed['anything']).toEqualTypeOf<KStream<string, Order> | undefined>()
  })

  it('rejects callbacks and serdes of the wrong types', () => {
    const orders = new StreamsBuilder().stream('orders', { key: Serdes.string(), value: Serdes.json<Order>() })
    // @ts-expect-error: the value is an Order, not a string
    orders.filter((k, o: string) => o.length > 0)
    // @ts-expect-error: mapValues' callback takes the value first
    orders.mapValues((k: string, o: Order) => o.qty)
    // @ts-expect-error: map returns { key, value }
    orders.map((k, o) => [k, o])
    // @ts-expect-error: the value serde must serialize an Order
    orders.to('out', { value: Serdes.int32() })
    // @ts-expect-error: merge takes a stream of the same types
    orders.merge(orders.mapValues((o) => o.qty))
    orders.mapValues((o) => o.qty).to('out', { value: Serdes.int32() })
  })
})
