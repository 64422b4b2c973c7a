import type { BuiltInAssignorName, PartitionAssignor } from './assignor.js'
import { CooperativeStickyAssignor } from './cooperative-sticky-assignor.js'
import { RangeAssignor } from './range-assignor.js'
import { RoundRobinAssignor } from './round-robin-assignor.js'
import { StickyAssignor } from './sticky-assignor.js'

export type {
  AssignmentCluster,
  BuiltInAssignorName,
  MemberAssignment,
  MemberSubscription,
  PartitionAssignor,
  RebalanceProtocol,
} from './assignor.js'
export { CooperativeStickyAssignor } from './cooperative-sticky-assignor.js'
export { RangeAssignor } from './range-assignor.js'
export { RoundRobinAssignor } from './round-robin-assignor.js'
export { StickyAssignor } from './sticky-assignor.js'

/** The protocol names `builtInAssignor` knows, in Kafka's documentation order. */
export const BUILT_IN_ASSIGNOR_NAMES: readonly BuiltInAssignorName[] = Object.freeze([
  'range',
  'roundrobin',
  'sticky',
  'cooperative-sticky',
])

/**
 * A new instance of the built-in assignor with this protocol name, or `undefined` for any other
 * name (custom assignors are passed as objects, not looked up). The built-ins are stateless, so
 * sharing or recreating them is equivalent.
 */
export function builtInAssignor(name: string): PartitionAssignor | undefined {
  switch (name) {
    case 'range':
      return new RangeAssignor()
    case 'roundrobin':
      return new RoundRobinAssignor()
    case 'sticky':
      return new StickyAssignor()
    case 'cooperative-sticky':
      return new CooperativeStickyAssignor()
    default:
      return undefined
  }
}
