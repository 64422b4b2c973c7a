import { describe, expect, it } from 'vitest'
import * as assignors from '../../../../src/log/client/assignors/index.js'
import { BUILT_IN_ASSIGNOR_NAMES, builtInAssignor } from '../../../../src/log/client/assignors/index.js'

describe('assignors entry point', () => {
  it('exports exactly the documented runtime names', () => {
    expect(Object.keys(assignors).sort()).toEqual([
      'BUILT_IN_ASSIGNOR_NAMES',
      'CooperativeStickyAssignor',
      'RangeAssignor',
      'RoundRobinAssignor',
      'StickyAssignor',
      'builtInAssignor',
    ])
  })

  it('looks up each built-in assignor by its protocol name', () => {
    for (const name of BUILT_IN_ASSIGNOR_NAMES) expect(builtInAssignor(name)?.name).toBe(name)
  })

  it('returns undefined for a name that is not built in, including kafkajs’s RoundRobinAssigner', () => {
    expect(builtInAssignor('RoundRobinAssigner')).toBeUndefined()
    expect(builtInAssignor('')).toBeUndefined()
  })
})
