/**
 * Kafka's internal topics: the coordinators' state, not user data. Admin listings hide them by
 * default, as Kafka's `listTopics()` does (`ListTopicsOptions.listInternal`).
 *
 * The names are Kafka's (`Topic.GROUP_METADATA_TOPIC_NAME`, `Topic.TRANSACTION_STATE_TOPIC_NAME`)
 * and fixed by the on-disk format; they are spelled here rather than imported from the
 * coordinators so that the admin depends on no coordinator internals.
 */

/** Where the group coordinator stores offsets and group metadata (log-anchor §5.6). */
export const CONSUMER_OFFSETS_TOPIC_NAME = '__consumer_offsets'
/** Where the transaction coordinator stores transaction state (log-anchor §4.2). */
export const TRANSACTION_STATE_TOPIC_NAME = '__transaction_state'

const INTERNAL_TOPICS: ReadonlySet<string> = new Set([CONSUMER_OFFSETS_TOPIC_NAME, TRANSACTION_STATE_TOPIC_NAME])

/** True for the coordinators' internal topics. Never throws. */
export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name)
}
