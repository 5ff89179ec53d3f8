/** The part of tap's `Test` the launcher uses. */
export interface TeardownTest {
  teardown(fn: () => unknown): unknown
}

export interface RedisServerOptions {
  /**
   * The port to listen on (127.0.0.1 only). Undefined or 0: one picked here, picked again if
   * another process takes it first (Redis itself reads port 0 as "no TCP").
   * @default a free port
   */
  port?: number
  /**
   * Persist every write to an append-only file, so a restart loses nothing.
   * @default false
   */
  appendOnly?: boolean
  /**
   * Run as a Redis Cluster node (`--cluster-enabled yes`, `nodes.conf` in its dir); a port picked
   * here then has its bus port (+10000) free too.
   * @default false
   */
  cluster?: boolean
  /** Run a Sentinel (instead of a data server) monitoring the master on this port as `mymaster`. */
  sentinelFor?: number
  /** Extra `redis-server` arguments, after the launcher's own. */
  args?: string[]
  /**
   * The program to run.
   * @default 'redis-server' (found on PATH)
   */
  command?: string
  /**
   * Runs it through another program, e.g. `taskset` to pin it to a core: takes the command and
   * its arguments, returns the ones to spawn. That program must exec the server (so the process
   * killed is the server).
   */
  wrap?: (command: string, args: string[]) => [string, string[]]
}

export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** Its own temp dir (append-only files, cluster and sentinel configs). */
  readonly dir: string
  /** Whether the process is running. */
  readonly running: boolean
  /** Kill the process (SIGKILL: no goodbye, like a crash or a pulled plug). */
  stop(): Promise<void>
  /** Start it again on the same port and dir (after `stop`). */
  start(): Promise<void>
  /** Freeze it (SIGSTOP): connections stay open and nothing answers. */
  pause(): void
  /** Thaw it (SIGCONT). */
  resume(): void
  /** Stop it for good and remove its dir. */
  close(): Promise<void>
}

/**
 * Starts a `redis-server` on loopback and resolves once it accepts connections (within 10 s, or
 * rejects with its output). Close it yourself; this process's exit kills it in any case.
 */
export function launchRedisServer(options?: RedisServerOptions): Promise<RedisServer>

/** `launchRedisServer`, closed in `t`'s teardown. */
export function startRedisServer(
  t: TeardownTest,
  options?: RedisServerOptions,
): Promise<RedisServer>
