import { describe, expect, it } from 'vitest'
import { isInternalTopic } from '../../../../src/log/client/admin/internal-topics.js'

describe('isInternalTopic', () => {
  it('is true for the coordinators’ topics only', () => {
    expect(isInternalTopic('__consumer_offsets')).toBe(true)
    expect(isInternalTopic('__transaction_state')).toBe(true)
    expect(isInternalTopic('__consumer_offsets_copy')).toBe(false)
    expect(isInternalTopic('_consumer_offsets')).toBe(false)
    expect(isInternalTopic('orders')).toBe(false)
  })
})
