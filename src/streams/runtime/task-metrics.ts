/**
 * The metrics a streams app (or the test driver) reports (Kafka's task-level
 * `dropped-records-total`): records its processors dropped on purpose — null keys or values
 * into aggregations, records too late for their window. `droppedRecordsTotal` counts since the
 * app started, tasks closed since included; `tasks` holds the current tasks only (Kafka removes
 * a task's metrics with the task).
 */
export interface StreamsMetrics {
  readonly droppedRecordsTotal: number
  /** Per current task (`<subtopology>_<partition>`). */
  readonly tasks: Readonly<Record<string, { readonly droppedRecordsTotal: number }>>
}
