/** Epoch milliseconds, as every Baton factory's `now` option takes them. */
export interface Clock {
  (): number
  /** Moves time forward, in seconds. */
  advance(seconds: number): void
}

/**
 * A clock that stands still until the test moves it.
 * @param start epoch milliseconds; @default `Date.UTC(2026, 0, 1)`
 */
export function makeClock(start?: number): Clock
