/**
 * `Serdes`: the built-in serdes, one factory each, named as in Kafka's `Serdes` class where Kafka
 * has one. Every serde made here follows the `Serde` contract (`serde.ts`): `null` in, `null` out,
 * synchronous, no retained bytes, `SERDES_…` errors naming the topic and serde, never the payload.
 */
import { avroSerde } from './avro-serde.js'
import { bytesSerde } from './bytes-serde.js'
import { jsonSerde } from './json-serde.js'
import { doubleSerde, int32Serde, int64Serde } from './number-serdes.js'
import { protobufSerde } from './protobuf-serde.js'
import { registryAvroSerde } from './registry/registry-avro-serde.js'
import { registryProtobufSerde } from './registry/registry-protobuf-serde.js'
import { sessionWindowedSerde } from './session-windowed-serde.js'
import { stringSerde } from './string-serde.js'
import { uuidSerde } from './uuid-serde.js'
import { windowedSerde } from './windowed-serde.js'

/**
 * The built-in serdes. Each call makes a new serde; serdes hold no resources and may be shared by
 * any number of topics, tasks and stores.
 *
 * | factory | value | bytes |
 * | --- | --- | --- |
 * | `string()` | `string` | UTF-8 (Kafka `StringSerde`) |
 * | `json<T>()` | `T` | UTF-8 JSON text |
 * | `int32()` | `number` | 4 bytes big-endian (Kafka `IntegerSerde`) |
 * | `int64()` | `bigint` | 8 bytes big-endian (Kafka `LongSerde`) |
 * | `double()` | `number` | 8 bytes IEEE 754 big-endian (Kafka `DoubleSerde`) |
 * | `bytes()` | `Uint8Array` | the bytes (Kafka `ByteArraySerde`) |
 * | `uuid()` | `string` | 36 ASCII characters (Kafka `UUIDSerde`) |
 * | `avro<T>(schema)` | `T` | Avro binary |
 * | `protobuf<T>(type)` | `T` | protobuf binary |
 * | `registryAvro<T>(registry, …)` | `T` | magic 0, schema id, Avro binary |
 * | `registryProtobuf<T>(registry, …)` | `T` | magic 0, schema id, message indexes, protobuf binary |
 * | `windowed<K>(inner, sizeMs)` | `Windowed<K>` | the key's bytes, then the window start (Kafka `TimeWindowedSerde`) |
 * | `sessionWindowed<K>(inner)` | `Windowed<K>` | the key's bytes, then the session end and start, int64 big-endian each (Kafka `SessionWindowedSerde`) |
 */
export const Serdes = Object.freeze({
  string: stringSerde,
  json: jsonSerde,
  int32: int32Serde,
  int64: int64Serde,
  double: doubleSerde,
  bytes: bytesSerde,
  uuid: uuidSerde,
  avro: avroSerde,
  protobuf: protobufSerde,
  registryAvro: registryAvroSerde,
  registryProtobuf: registryProtobufSerde,
  windowed: windowedSerde,
  sessionWindowed: sessionWindowedSerde,
})
