/**
 * Error codes raised by `src/serdes` (STYLE.md: one closed union per package). Messages name the
 * topic and the serde, never the bytes or the value.
 */
import { MillraceError } from '../log/index.js'

/** The `code` of every error a serde, the registry or the wire format raises. */
export type SerdesErrorCode =
  /** Bytes that the serde cannot decode: truncated, wrong length, malformed text or encoding. */
  | 'SERDES_INVALID_BYTES'
  /** A value the serde cannot encode (wrong type, out of range, fails the schema or validation hook). */
  | 'SERDES_INVALID_VALUE'
  /** Registry wire format: the magic byte is not 0. */
  | 'SERDES_UNKNOWN_MAGIC_BYTE'
  /**
   * Registry wire format: the schema id is not in the registry; or, for a serializer that does not
   * auto-register, its schema is not registered under the subject.
   */
  | 'SERDES_UNKNOWN_SCHEMA'
  /** A schema given to a serde or registered is not valid for its type (Avro/Protobuf). */
  | 'SERDES_INVALID_SCHEMA'
  /**
   * Writer and reader schemas cannot be resolved against each other (Avro evolution), or the
   * writer's schema is of another type or message than the reader's.
   */
  | 'SERDES_INCOMPATIBLE_SCHEMA'

/** A `MillraceError` raised by `src/serdes`; `details` names the `serde` and, per record, the `topic`. */
export type SerdesError = MillraceError<SerdesErrorCode>

type Details = Record<string, string | number | bigint | boolean | undefined>

/** Shorthand used inside `src/serdes` so call sites stay one line. */
export function serdesError(code: SerdesErrorCode, message: string, details?: Details, cause?: unknown): SerdesError {
  return new MillraceError(code, message, { details, cause })
}

/**
 * `SERDES_INVALID_BYTES` for the bytes of a record of `topic`. `reason` describes the defect
 * (lengths, positions), never the bytes themselves.
 */
export function invalidBytes(serde: string, topic: string, reason: string, cause?: unknown, details?: Details): SerdesError {
  return serdesError(
    'SERDES_INVALID_BYTES',
    `${serde} serde cannot decode a record of topic ${topic}: ${reason}`,
    { serde, topic, reason, ...details },
    cause,
  )
}

/** `SERDES_INVALID_VALUE` for a value written to `topic`; `reason` names types and paths, never the value. */
export function invalidValue(serde: string, topic: string, reason: string, cause?: unknown, details?: Details): SerdesError {
  return serdesError(
    'SERDES_INVALID_VALUE',
    `${serde} serde cannot encode a value for topic ${topic}: ${reason}`,
    { serde, topic, reason, ...details },
    cause,
  )
}
