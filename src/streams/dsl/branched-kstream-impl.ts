/** Collects the branches of a `split()` and adds the branch processor and its children when ended. */
import { streamsError } from '../errors.js'
import type { BranchedKStream, BranchKey, Branches } from './kstream.js'

type Predicate<K, V> = (key: K, value: V) => boolean
type AddBranches<K, V> = (childNames: readonly string[], predicates: readonly Predicate<K, V>[], defaultName: string | undefined) => Branches<K, V, string>

/** Kafka numbers unnamed branches from 1 in `branch` order; the default branch is 0. */
const DEFAULT_BRANCH_INDEX = '0'

export class BranchedKStreamImpl<K, V, P extends string, Keys extends string> implements BranchedKStream<K, V, P, Keys> {
  private readonly predicates: Predicate<K, V>[] = []
  private readonly childNames: string[] = []
  private ended = false

  constructor(
    private readonly splitName: string,
    private readonly addBranches: AddBranches<K, V>,
  ) {}

  branch<N extends string>(predicate: Predicate<K, V>, options: { readonly name: N }): BranchedKStream<K, V, P, Keys | BranchKey<P, N>>
  branch(predicate: Predicate<K, V>): BranchedKStream<K, V, P, Keys | string>
  branch(predicate: Predicate<K, V>, options?: { readonly name?: string }): BranchedKStream<K, V, P, string> {
    this.checkOpen()
    if (typeof predicate !== 'function') throw streamsError('STREAMS_TOPOLOGY_INVALID', `branch() of ${this.splitName} takes a predicate function`)
    this.predicates.push(predicate)
    this.childNames.push(`${this.splitName}${options?.name ?? String(this.predicates.length)}`)
    return this as unknown as BranchedKStream<K, V, P, string>
  }

  defaultBranch<N extends string = '0'>(options?: { readonly name?: N }): Branches<K, V, Keys | BranchKey<P, N>> {
    return this.end(`${this.splitName}${options?.name ?? DEFAULT_BRANCH_INDEX}`) as Branches<K, V, Keys | BranchKey<P, N>>
  }

  noDefaultBranch(): Branches<K, V, Keys> {
    return this.end(undefined) as Branches<K, V, Keys>
  }

  private end(defaultName: string | undefined): Branches<K, V, string> {
    this.checkOpen()
    this.ended = true
    return this.addBranches(this.childNames, this.predicates, defaultName)
  }

  private checkOpen(): void {
    if (this.ended) throw streamsError('STREAMS_ILLEGAL_STATE', `split ${this.splitName} has already ended (defaultBranch/noDefaultBranch)`)
  }
}
