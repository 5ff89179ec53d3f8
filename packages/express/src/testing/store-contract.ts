/**
 * The `SessionStore` contract as a reusable test suite. `LruSessionStore` passes it, and so must
 * every other store (`@baton/redis-store` runs it unchanged, on standalone Redis and on Cluster):
 *
 * ```ts
 * import t from 'tap'
 * import { sessionStoreContract } from '@baton/express/testing'
 * sessionStoreContract(t, { createStore: () => new MyStore(), destroyStore: (store) => store.close() })
 * ```
 *
 * It speaks to the test runner through the few methods below, which tap's `Test` has, so this
 * module imports no test framework and ships in `dist` at no cost to apps that never use it.
 */
import type { SessionStore } from '../session-store.js'
import { capRules } from './cap-rules.js'
import { contractKit, type ContractTest, type StoreContractOptions } from './contract-kit.js'
import { lifecycleRules } from './lifecycle-rules.js'
import { rotationRules } from './rotation-rules.js'

export type { ContractTest, StoreContractOptions } from './contract-kit.js'

/** Registers one subtest per rule of the contract on `t`. */
export function sessionStoreContract<S extends SessionStore>(
  t: ContractTest,
  options: StoreContractOptions<S>,
): void {
  const kit = contractKit(t, options)
  lifecycleRules(kit)
  rotationRules(kit)
  capRules(kit)
}
