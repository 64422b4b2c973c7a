/**
 * The `consume --format` template, after kcat's `-f` and rpk's `--format` (the subset both share):
 *
 *   %t topic   %p partition   %o offset   %T timestamp (ms)   %k key   %v value
 *   %K key bytes (−1 for null)   %V value bytes (−1 for null)   %h headers as k=v,k=v   %H header count
 *   %% a percent sign   \n newline   \t tab   \\ a backslash
 *
 * Keys, values and header values print as UTF-8 text; null prints as nothing, or as the
 * `nullText` option (`consume --null`). The template is compiled once into parts so a record
 * costs one pass over them.
 */
import type { RecordHeader } from '../log/index.js'
import { usageError } from './args.js'

/** kcat's default: the value and a newline. */
export const DEFAULT_FORMAT = '%v\\n'

type Field = 't' | 'p' | 'o' | 'T' | 'k' | 'v' | 'K' | 'V' | 'h' | 'H'
const FIELDS: ReadonlySet<string> = new Set<Field>(['t', 'p', 'o', 'T', 'k', 'v', 'K', 'V', 'h', 'H'])
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\' }

type Part = { literal: string } | { field: Field }

/** What a format prints: the fields of a consumed record. */
export interface FormattableRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly timestampMs: number
  readonly key: Uint8Array | null
  readonly value: Uint8Array | null
  readonly headers: readonly RecordHeader[]
}

/** A compiled template: one record in, its text out. */
export type RecordFormatter = (record: FormattableRecord) => string

/** Options of {@link compileFormat}. */
export interface FormatOptions {
  /** Printed for a null key, value or header value by `%k`, `%v`, `%h`. Default `''`. */
  readonly nullText?: string
}

const utf8 = new TextDecoder()

/** @throws `CLI_USAGE` on an unknown `%` directive or `\` escape, or a dangling one at the end. */
export function compileFormat(template: string, options: FormatOptions = {}): RecordFormatter {
  const nullText = options.nullText ?? ''
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
  return (record) => {
    let out = ''
    for (const part of parts) out += 'literal' in part ? part.literal : fieldText(part.field, record, nullText)
    return out
  }
}

function fieldText(field: Field, record: FormattableRecord, nullText: string): string {
  switch (field) {
    case 't':
      return record.topic
    case 'p':
      return String(record.partition)
    case 'o':
      return String(record.offset)
    case 'T':
      return String(record.timestampMs)
    case 'k':
      return text(record.key, nullText)
    case 'v':
      return text(record.value, nullText)
    case 'K':
      return String(record.key?.length ?? -1)
    case 'V':
      return String(record.value?.length ?? -1)
    case 'h':
      return record.headers.map((h) => `${h.key}=${text(h.value, nullText)}`).join(',')
    case 'H':
      return String(record.headers.length)
  }
}

function text(bytes: Uint8Array | null, nullText: string): string {
  return bytes === null ? nullText : utf8.decode(bytes)
}
