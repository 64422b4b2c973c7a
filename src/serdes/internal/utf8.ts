import { invalidBytes } from '../errors.js'

/**
 * One strict decoder for every serde: `decode()` without `stream` keeps no state between calls,
 * so sharing it is safe. `ignoreBOM` keeps a leading U+FEFF as a character, as Java does.
 */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Decodes UTF-8, raising `SERDES_INVALID_BYTES` (for `serde` and `topic`) on invalid sequences. */
export function decodeUtf8Strict(serde: string, topic: string, bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes)
  } catch (err) {
    throw invalidBytes(serde, topic, 'the bytes are not valid UTF-8', err)
  }
}
