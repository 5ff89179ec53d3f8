/**
 * A clock that stands still until the test moves it: pass it as a factory's `now` option, so
 * that time is injected, never slept on.
 */
export function makeClock(start = Date.UTC(2026, 0, 1)) {
  let current = start
  const clock = () => current
  clock.advance = (seconds) => {
    current += seconds * 1000
  }
  return clock
}
