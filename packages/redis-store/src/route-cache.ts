/**
 * Remembers which subject tag a sid belongs to, so the hot path (`get` on every authenticated
 * request, `rotate` on every refresh) is one round trip instead of a pointer lookup first.
 *
 * A sid never changes subject, so a remembered route can only be stale by pointing at a session
 * that is gone, and the store then asks the pointer key again: the cache can cost a round trip,
 * never an answer. The session key, not the cache, decides whether a session exists, so a
 * revocation made through another instance takes effect here at once.
 *
 * Bounded, least recently used first out (a Map iterates in insertion order).
 */
export class RouteCache {
  readonly #max: number
  readonly #routes = new Map<string, string>()

  constructor(max: number) {
    this.#max = max
  }

  get(sid: string): string | undefined {
    const tag = this.#routes.get(sid)
    if (tag !== undefined) {
      this.#routes.delete(sid)
      this.#routes.set(sid, tag)
    }
    return tag
  }

  set(sid: string, tag: string): void {
    if (this.#max === 0) return
    this.#routes.delete(sid)
    this.#routes.set(sid, tag)
    if (this.#routes.size > this.#max) {
      for (const oldest of this.#routes.keys()) {
        this.#routes.delete(oldest)
        break
      }
    }
  }

  delete(sid: string): void {
    this.#routes.delete(sid)
  }

  get size(): number {
    return this.#routes.size
  }
}
