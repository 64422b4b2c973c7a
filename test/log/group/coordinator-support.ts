import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { Broker, type BrokerOptions } from '../../../src/log/broker.js'
import { ManualClock } from '../../../src/log/clock.js'
import type { GroupCoordinator } from '../../../src/log/group/group-coordinator.js'
import type { JoinGroupRequest, JoinGroupResult } from '../../../src/log/group/coordinator-api.js'
import { tempDir } from '../../support/temp-dir.js'

export interface Fixture {
  broker: Broker
  clock: ManualClock
  coordinator: GroupCoordinator
  dataDir: string
  backgroundErrors: string[]
}

/** A broker in a fresh temp dir on a ManualClock; closed when the test ends. */
export async function openFixture(options: Partial<BrokerOptions> = {}): Promise<Fixture> {
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock()
  const dataDir = options.dataDir ?? join(tempDir('millrace-group-'), 'data')
  const backgroundErrors: string[] = []
  const broker = await Broker.open({ ...options, dataDir, clock, onBackgroundError: (task) => backgroundErrors.push(task) })
  onTestFinished(() => broker.close())
  return { broker, clock, coordinator: broker.groupCoordinator(), dataDir, backgroundErrors }
}

/** Opaque metadata bytes: the coordinator never parses them. */
export function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text))
}

export function joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: undefined,
    clientId: 'c',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: bytes('sub') }],
    ...overrides,
  }
}

export { codeOf } from '../../support/error-code.js'

/** The error `fn` throws or rejects with. */
export async function errorOf(fn: () => unknown): Promise<{ code?: string; retriable?: boolean } | undefined> {
  try {
    await fn()
  } catch (err) {
    return err as { code?: string; retriable?: boolean }
  }
  return undefined
}

/** Tracks whether a promise settled, without awaiting it. */
export function track<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false
  promise.then(
    () => (done = true),
    () => (done = true),
  )
  return { settled: () => done, promise }
}

/** One member joins and syncs alone: the group becomes Stable at generation 1. */
export async function stableSingleMember(
  coordinator: GroupCoordinator,
  overrides: Partial<JoinGroupRequest> = {},
): Promise<JoinGroupResult> {
  const joined = await coordinator.joinGroup(joinRequest(overrides))
  await coordinator.syncGroup({
    groupId: overrides.groupId ?? 'g',
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: overrides.groupInstanceId,
    assignments: [{ memberId: joined.memberId, assignment: bytes(`a-${joined.memberId}`) }],
  })
  return joined
}
