/**
 * A small seeded PRNG (mulberry32) so every fault decision is reproducible from one number.
 * Not for anything but tests: 32 bits of state, not cryptographic.
 */
export class SeededRandom {
  private state: number

  /** Only the low 32 bits of `seed` matter; negative seeds are fine. */
  constructor(seed: number) {
    this.state = seed >>> 0
  }

  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  /** A uniform integer in `[0, bound)`; 0 when `bound` ≤ 0. */
  below(bound: number): number {
    if (bound <= 0) return 0
    return Math.floor((this.nextUint32() / 0x1_0000_0000) * bound)
  }

  fillBytes(target: Uint8Array): void {
    for (let i = 0; i < target.length; i++) target[i] = this.nextUint32() & 0xff
  }
}
