/**
 * A small in-process cache that keeps the most recently used entries up to a fixed count, so its
 * memory stays bounded whatever is asked of it. Entries are only ever reused under a key that says
 * everything they depend on (the dashboards, kept parts of pages, compiled reads), so there is nothing
 * to invalidate.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>()

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      // Most recently used last: a Map keeps insertion order.
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  set(key: K, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K)
  }

  /**
   * The value under the key, made by `make` if there is none. What `make` promises is kept at
   * once, so requests that arrive together while it is being made (every request for an ICS's
   * dashboard just after its data changed) wait for the one making rather than each making it
   * again; if making fails, nothing is kept.
   */
  shared<T>(this: BoundedCache<K, Promise<T>>, key: K, make: () => Promise<T>): Promise<T> {
    const kept = this.get(key)
    if (kept !== undefined) return kept
    const made = make()
    this.set(key, made)
    made.catch(() => {
      if (this.entries.get(key) === made) this.entries.delete(key)
    })
    return made
  }

  get size(): number {
    return this.entries.size
  }
}
