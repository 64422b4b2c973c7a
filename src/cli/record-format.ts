/**
 * The `consume --format` template, after kcat's `-f` and rpk's `--format` (the subset both share):
 *
 *   %t topic   %p partition   %o offset   %T timestamp (ms)   %k key   %v value
 *   %K key bytes (−1 for null)   %V value bytes (−1 for null)   %h headers as k=v,k=v   %H header count
 *   %% a percent sign   \n newline   \t tab   \\ a backslash
 *
 * Keys, values and header values print as UTF-8 text; null prints as nothing. The template is
 * compiled once into parts so a record costs one pass over them.
 */
import type { LogRecord } from '../log/index.js'
import { usageError } from './args.js'

export const DEFAULT_FORMAT = '%v\\n'

type Field = 't' | 'p' | 'o' | 'T' | 'k' | 'v' | 'K' | 'V' | 'h' | 'H'
const FIELDS: ReadonlySet<string> = new Set<Field>(['t', 'p', 'o', 'T', 'k', 'v', 'K', 'V', 'h', 'H'])
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\' }

type Part = { literal: string } | { field: Field }

export type RecordFormatter = (topic: string, partition: number, record: LogRecord) => string

const utf8 = new TextDecoder()

/** @throws `CLI_USAGE` on an unknown `%` directive or `\` escape, or a dangling one at the end. */
export function compileFormat(template: string): RecordFormatter {
  const parts: Part[] = []
  let literal = ''
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string
    if (c !== '%' && c !== '\\') {
      literal += c
      continue
    }
    const next = template[i + 1]
    i++
    if (c === '\\') {
      const escaped = next === undefined ? undefined : ESCAPES[next]
      if (escaped === undefined) throw usageError(`--format: unknown escape '\\${next ?? ''}' at ${i - 1}`)
      literal += escaped
    } else if (next === '%') {
      literal += '%'
    } else if (next !== undefined && FIELDS.has(next)) {
      if (literal) parts.push({ literal })
      literal = ''
      parts.push({ field: next as Field })
    } else {
      throw usageError(`--format: unknown directive '%${next ?? ''}' at ${i - 1}`)
    }
  }
  if (literal) parts.push({ literal })
  return (topic, partition, record) => {
    let out = ''
    for (const part of parts) out += 'literal' in part ? part.literal : fieldText(part.field, topic, partition, record)
    return out
  }
}

function fieldText(field: Field, topic: string, partition: number, record: LogRecord): string {
  switch (field) {
    case 't':
      return topic
    case 'p':
      return String(partition)
    case 'o':
      return String(record.offset)
    case 'T':
      return String(record.timestampMs)
    case 'k':
      return text(record.key)
    case 'v':
      return text(record.value)
    case 'K':
      return String(record.keySize)
    case 'V':
      return String(record.valueSize)
    case 'h':
      return record.headers.map((h) => `${h.key}=${text(h.value)}`).join(',')
    case 'H':
      return String(record.headers.length)
  }
}

function text(bytes: Uint8Array | null): string {
  return bytes === null ? '' : utf8.decode(bytes)
}
