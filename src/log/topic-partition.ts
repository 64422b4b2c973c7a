/** A partition of a topic, as Kafka names it. */
export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

/** `<topic>-<partition>`: the partition's directory name and a stable map key. */
export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`
}
