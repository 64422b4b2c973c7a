import type { TopicPartition } from '../../topic-partition.js'

/**
 * How members give up partitions during a rebalance (log-anchor §5.3).
 * - `eager`: every member revokes everything before JoinGroup (stop-the-world).
 * - `cooperative`: members keep what they own; only partitions that move are revoked, and the
 *   group rebalances again to hand them out (KIP-429).
 */
export type RebalanceProtocol = 'eager' | 'cooperative'

/** The protocol names of the built-in assignors, as Java, librdkafka and platformatic spell them. */
export type BuiltInAssignorName = 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky'

/** The cluster metadata an assignor sees: partition counts of (at least) every subscribed topic. */
export interface AssignmentCluster {
  /**
   * Topic → number of partitions. Subscribed topics missing here are skipped, as Kafka skips
   * topics without metadata; owned partitions outside `[0, count)` are treated as not owned.
   */
  readonly partitionsPerTopic: ReadonlyMap<string, number>
}

/** One member's JoinGroup metadata (ConsumerProtocolSubscription v0–3, log-anchor §5.2). */
export interface MemberSubscription {
  readonly topics: readonly string[]
  /** Partitions the member held before this rebalance (v1+). The sticky assignors read these. */
  readonly ownedPartitions: readonly TopicPartition[]
  /** Opaque bytes from the member's assignor's `subscriptionUserData`. */
  readonly userData: Uint8Array | null
  /** Set for static members (KIP-345); range and roundrobin order static members by it. */
  readonly groupInstanceId?: string
  /** The generation the member's `ownedPartitions` belong to (v2+); −1 or absent when unknown. */
  readonly generationId?: number
  readonly rackId?: string
}

/** What the leader hands one member in SyncGroup (ConsumerProtocolAssignment). */
export interface MemberAssignment {
  readonly partitions: TopicPartition[]
  readonly userData?: Uint8Array | null
}

/**
 * A consumer-group partition assignor, run by the group leader (Kafka's
 * `ConsumerPartitionAssignor`). Users (and the streams runtime's task assignor) implement this
 * interface; they do not subclass the built-ins.
 *
 * Guarantees expected of every implementation: `assign` is a pure function of its arguments (no
 * I/O, no clock, no dependence on map insertion order), returns an entry for every member (an
 * empty list when it gets nothing), and never gives one partition to two members.
 */
export interface PartitionAssignor {
  /** The protocol name sent in JoinGroup; all members must share one for the group to form. */
  readonly name: string
  /**
   * Rebalance protocols this assignor supports, preferred first. An assignor that lists
   * `cooperative` must never give a partition to a member while another member still owns it.
   */
  readonly supportedProtocols: ReadonlyArray<RebalanceProtocol>
  /** Bytes to send as the subscription's userData; `null` (or no method) sends none. */
  subscriptionUserData?(
    topics: readonly string[],
    ownedPartitions: readonly TopicPartition[],
  ): Uint8Array | null
  /**
   * Computes the group's assignment. Called on the leader only; `subscriptions` is keyed by
   * memberId. Throws only what the implementation documents (the built-ins never throw).
   */
  assign(
    cluster: AssignmentCluster,
    subscriptions: ReadonlyMap<string, MemberSubscription>,
  ): Map<string, MemberAssignment>
  /** Called on every member when its SyncGroup answer arrives, with the new generation. */
  onAssignment?(assignment: MemberAssignment, generationId: number): void
}
