import { topicPartitionKey } from '../../topic-partition.js'
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
 * Kafka's `CooperativeStickyAssignor` (KIP-429, log-anchor §5.3): the sticky target of
 * `StickyAssignor`, then `adjustAssignment`'s two-phase rule. A partition is withheld from the
 * member the target gives it to when that member is not its previous owner and another member
 * still lists it in `ownedPartitions`. The owner, not finding it in its new assignment, revokes
 * it and rejoins; the follow-up rebalance sees it unowned and hands it out. So no partition is
 * ever owned by two members at once.
 *
 * Kafka withholds only partitions that move (or were claimed twice in one generation); this
 * rule also withholds a partition from a member whose claim lost a generation conflict while a
 * stale claimant still lists it — the conservative reading of "currently belongs to another
 * member". Previous ownership comes from `ownedPartitions` + `generationId` (Kafka's
 * cooperative-sticky userData carries only the generation, which the subscription v2+ also
 * carries), so this assignor sends no userData.
 *
 * Pure and deterministic; never throws. Supports cooperative (preferred) and eager, as in Kafka.
 */
export class CooperativeStickyAssignor implements PartitionAssignor {
  readonly name = 'cooperative-sticky'
  readonly supportedProtocols: ReadonlyArray<RebalanceProtocol> = ['cooperative', 'eager']

  assign(
    cluster: AssignmentCluster,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
  ): Map<string, MemberAssignment> {
    const { assignment, previousOwners } = assignSticky(cluster, subscriptions)
    const claimants = new Map<string, Set<string>>()
    for (const [memberId, subscription] of subscriptions) {
      for (const tp of subscription.ownedPartitions) {
        const key = topicPartitionKey(tp)
        const members = claimants.get(key) ?? new Set<string>()
        members.add(memberId)
        claimants.set(key, members)
      }
    }
    for (const [memberId, partitions] of assignment) {
      const kept = partitions.filter((tp) => {
        const key = topicPartitionKey(tp)
        if (previousOwners.get(key) === memberId) return true
        const others = [...(claimants.get(key) ?? [])].filter((other) => other !== memberId)
        return others.length === 0
      })
      assignment.set(memberId, kept)
    }
    return toMemberAssignments(assignment)
  }
}
