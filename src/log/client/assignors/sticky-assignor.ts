import type {
  AssignmentCluster,
  MemberAssignment,
  MemberSubscription,
  PartitionAssignor,
  RebalanceProtocol,
} from './assignor.js'
import { toMemberAssignments } from './internal/assignment-support.js'
import { assignSticky } from './internal/sticky-core.js'

/**
 * Kafka's `StickyAssignor` (eager): a balanced assignment that keeps as many previously owned
 * partitions in place as balance allows (log-anchor §5.3; algorithm in `internal/sticky-core.ts`).
 *
 * Previous ownership is read from each subscription's `ownedPartitions` and `generationId`
 * rather than from Kafka's sticky userData encoding (`[{topic, partitions}] + generation`), so
 * this assignor sends no userData. Under the eager protocol a member has already revoked its
 * partitions when it joins; the group runtime must still report the previous assignment in
 * `ownedPartitions` (as Kafka's userData does) or the result is a fresh, non-sticky assignment.
 * When several members claim a partition, the highest generation wins; a tie at the highest
 * generation discards every claim.
 *
 * Pure and deterministic; never throws.
 */
export class StickyAssignor implements PartitionAssignor {
  readonly name = 'sticky'
  readonly supportedProtocols: ReadonlyArray<RebalanceProtocol> = ['eager']

  assign(
    cluster: AssignmentCluster,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
  ): Map<string, MemberAssignment> {
    return toMemberAssignments(assignSticky(cluster, subscriptions).assignment)
  }
}
