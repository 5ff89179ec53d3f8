/**
 * The one way out to `onEvent`. A listener's failure — a throw, or a promise it returns that
 * rejects — never turns a good request into an error, nor into an unhandled rejection.
 */
import { AuthError } from './errors.js'
import type { AuthEvent } from './options.js'

export type EventInput = Omit<AuthEvent, 'at'>

export interface Events {
  emit: (event: EventInput) => void
  /**
   * Reports a refusal as a `rejected` event. Called once per refusal, where it leaves the
   * package: by the HTTP layer for requests (`middleware.ts`, `router.ts`) and by the
   * programmatic API for direct calls (`create-auth.ts`); the parts inside never report.
   */
  refused: (error: unknown) => void
}

export function createEvents(onEvent: (event: AuthEvent) => unknown, now: () => number): Events {
  const emit = (event: EventInput): void => {
    try {
      const result: unknown = onEvent({ ...event, at: now() })
      // An async listener's rejection is ignored too: left unhandled, it would end the process.
      if (typeof (result as { then?: unknown } | null | undefined)?.then === 'function')
        Promise.resolve(result).catch(() => {})
    } catch {
      // A listener's failure must not turn a good request into an error.
    }
  }
  return {
    emit,
    refused: (error) => {
      if (error instanceof AuthError) emit({ type: 'rejected', reason: error.code })
    },
  }
}

/** Capacity evictions are reported at most once per this interval. */
const CAPACITY_EVENT_INTERVAL_MS = 1000

/**
 * A full store evicts one session per login, so a flood of logins would be a flood of events.
 * The first eviction of each second is reported, and its `count` says how many evictions it
 * stands for: itself and those held back since the previous report.
 */
export function capacityReporter(
  events: Events,
  now: () => number,
): (notice: { sid: string; sub: string }) => void {
  let lastReport = -Infinity
  let heldBack = 0
  return ({ sid, sub }) => {
    const at = now()
    if (at - lastReport < CAPACITY_EVENT_INTERVAL_MS) {
      heldBack++
      return
    }
    lastReport = at
    events.emit({ type: 'evicted', reason: 'capacity', sub, sid, count: heldBack + 1 })
    heldBack = 0
  }
}
