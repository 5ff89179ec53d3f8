export interface FreePortOptions {
  /**
   * Also require port + 10000 to be free: the bus port of a Redis Cluster node.
   * @default false
   */
  withBus?: boolean
}

/** A loopback port nothing listens on now (someone may take it before you do). */
export function freePort(options?: FreePortOptions): Promise<number>
