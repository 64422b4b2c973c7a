import { expect, onTestFinished } from 'vitest'
import { Broker } from '../../../../src/log/broker.js'
import { ManualClock } from '../../../../src/log/clock.js'
import { EmbeddedAdmin } from '../../../../src/log/client/admin/embedded-admin.js'
import type { AdminLog } from '../../../../src/log/client/admin/admin-log.js'
import { isMillraceError } from '../../../../src/log/errors.js'
import { tempDir } from '../../../support/temp-dir.js'

/** The broker as an AdminLog: compiles only while Broker satisfies the seam structurally. */
export function asAdminLog(broker: Broker): AdminLog {
  return broker
}

/**
 * A real broker on a manual clock in the test's own temp dir, closed when the test finishes, and
 * an admin over it whose coordinator must never be reached: topic, config, offset and record
 * administration do not need (or create) the group coordinator.
 */
export async function openTopicAdmin(): Promise<{ broker: Broker; admin: EmbeddedAdmin }> {
  const broker = await Broker.open({ dataDir: tempDir('millrace-admin-'), clock: new ManualClock() })
  onTestFinished(() => broker.close())
  const admin = new EmbeddedAdmin({
    log: asAdminLog(broker),
    coordinator: () => {
      throw new Error('topic administration must not reach the group coordinator')
    },
  })
  return { broker, admin }
}

/** Awaits `call` and asserts it rejects with a MillraceError carrying `code`. */
export async function expectRejects(call: Promise<unknown>, code: string): Promise<void> {
  let thrown: unknown
  try {
    await call
  } catch (err) {
    thrown = err
  }
  if (!isMillraceError(thrown, code)) {
    throw new Error(`expected ${code}, got ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`)
  }
  expect(thrown.code).toBe(code)
}
