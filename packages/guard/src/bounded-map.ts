/**
 * A Map that never holds more than `capacity` entries: inserting a new key into a full map
 * first evicts the oldest insertion. Whatever a flood of spoofed addresses sends, per-source
 * state stays bounded; the price is that, past the capacity, the oldest sources are forgotten.
 */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, V>();
  #evictions = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be >= 1");
  }

  get size(): number {
    return this.#map.size;
  }

  /** Entries dropped to make room since creation (a sign the capacity is too small, or an attack). */
  get evictions(): number {
    return this.#evictions;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): void {
    if (!this.#map.has(key) && this.#map.size >= this.capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) {
        this.#map.delete(oldest.value);
        this.#evictions++;
      }
    }
    this.#map.set(key, value);
  }

  /** Re-inserts `key` last (most recent), so eviction picks older entries first. */
  touch(key: K, value: V): void {
    this.#map.delete(key);
    this.set(key, value);
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  entries(): IterableIterator<[K, V]> {
    return this.#map.entries();
  }

  /** Removes every entry for which `stale` says so; returns how many went. */
  prune(stale: (value: V, key: K) => boolean): number {
    let n = 0;
    for (const [k, v] of this.#map) {
      if (stale(v, k)) {
        this.#map.delete(k);
        n++;
      }
    }
    return n;
  }
}
