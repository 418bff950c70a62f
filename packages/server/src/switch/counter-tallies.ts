import type { Counter, LabelValues } from "prom-client";

/** One label set's count, and how much of it the Counter has been given. */
export interface Tally {
  n: number;
  given: number;
  readonly labels: LabelValues<string>;
}

/**
 * Counts of a prom-client Counter kept as plain numbers on the hot path (several per SIP message)
 * and handed to the Counter when it is collected, i.e. at each scrape. prom-client's `inc()`
 * builds a string key from the label object and looks it up in a dictionary on every call, a
 * labelled child's too (`labels()` only binds the object): that string hashing showed in the
 * REGISTER profile. Bounded: label values come off the wire (methods), so past `max` label sets
 * the caller increments the Counter directly.
 */
export class CounterTallies {
  readonly #tallies: Tally[] = [];
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** A new tally for this label set, or undefined when `max` are already kept. */
  add(labels: LabelValues<string>): Tally | undefined {
    if (this.#tallies.length >= this.#max) return undefined;
    const t: Tally = { n: 0, given: 0, labels };
    this.#tallies.push(t);
    return t;
  }

  /**
   * A count by one label's value (a method, an outcome): its tally found by the value, made on
   * first use; past the bound, `counter`'s own `inc()`.
   */
  byLabel(counter: Counter<string>, label: string): (value: string) => void {
    const byValue = new Map<string, Tally>();
    return (value) => {
      let t = byValue.get(value);
      if (t === undefined) {
        t = this.add({ [label]: value });
        if (t === undefined) {
          counter.inc({ [label]: value });
          return;
        }
        byValue.set(value, t);
      }
      t.n++;
    };
  }

  /** Gives `counter` what was counted since the last flush (its `collect` hook calls this). */
  flush(counter: Counter<string>): void {
    for (const t of this.#tallies) {
      if (t.n === t.given) continue;
      counter.inc(t.labels, t.n - t.given);
      t.given = t.n;
    }
  }
}
