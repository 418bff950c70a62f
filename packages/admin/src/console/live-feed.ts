import type { ServerResponse } from "node:http";
import type { LiveSnapshot, LiveState } from "./live-state.js";

/** One open event stream: the scope it sees and the last state it was sent. */
interface Subscriber {
  readonly res: ServerResponse;
  readonly customerId: number | undefined;
  last: string;
}

export interface LiveFeedOptions {
  /** How often the state is read, ms (default 1000): a change reaches the page within this. */
  readonly intervalMs?: number;
  /** Open streams at most (default 32); one more is refused with 503. */
  readonly maxSubscribers?: number;
  /** A comment line this often keeps idle proxies from closing the stream, ms (default 15 000). */
  readonly keepaliveMs?: number;
}

/**
 * Server-sent events (text/event-stream) of the live state. One timer runs while a stream is
 * open; each tick reads one snapshot per scope (the operator's, each customer's) and sends an
 * `event: state` only to streams whose state changed, so an idle console costs one read a tick
 * and no traffic.
 */
export class LiveFeed {
  readonly #state: LiveState;
  readonly #subscribers = new Set<Subscriber>();
  readonly #intervalMs: number;
  readonly #max: number;
  readonly #keepaliveMs: number;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #lastKeepalive = 0;
  #sending: Promise<void> = Promise.resolve();

  constructor(state: LiveState, opts: LiveFeedOptions = {}) {
    this.#state = state;
    this.#intervalMs = opts.intervalMs ?? 1000;
    this.#max = opts.maxSubscribers ?? 32;
    this.#keepaliveMs = opts.keepaliveMs ?? 15_000;
  }

  get full(): boolean {
    return this.#subscribers.size >= this.#max;
  }

  /** Starts streaming to `res` (headers already written); sends the current state at once. */
  subscribe(res: ServerResponse, customerId: number | undefined): void {
    const sub: Subscriber = { res, customerId, last: "" };
    this.#subscribers.add(sub);
    res.on("close", () => {
      this.#subscribers.delete(sub);
      if (this.#subscribers.size === 0) this.#stop();
    });
    void this.#sendInOrder([sub]);
    this.#timer ??= setInterval(() => void this.#tick(), this.#intervalMs);
  }

  /** Ends every stream (the API is closing). */
  close(): void {
    for (const s of this.#subscribers) s.res.end();
    this.#subscribers.clear();
    this.#stop();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    // A slow read (a big registration table) skips ticks rather than piling them up.
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      await this.#sendInOrder([...this.#subscribers]);
      const now = Date.now();
      if (now - this.#lastKeepalive >= this.#keepaliveMs) {
        this.#lastKeepalive = now;
        for (const s of this.#subscribers) s.res.write(": keepalive\n\n");
      }
    } finally {
      this.#ticking = false;
    }
  }

  /**
   * One send at a time: a new subscriber's first state and a tick's can otherwise be read
   * concurrently, and the older read, finishing last, would be written after the newer one —
   * the page would show a call that has ended until the next change.
   */
  #sendInOrder(subs: readonly Subscriber[]): Promise<void> {
    const next = this.#sending.then(() => this.#send(subs));
    this.#sending = next.catch(() => undefined);
    return next;
  }

  async #send(subs: readonly Subscriber[]): Promise<void> {
    const byScope = new Map<number | undefined, Promise<string>>();
    for (const s of subs) {
      let text = byScope.get(s.customerId);
      if (text === undefined) {
        text = this.#state.snapshot(s.customerId).then(
          (snap: LiveSnapshot) => JSON.stringify(snap),
          () => JSON.stringify({ error: { code: "internal", message: "the live state could not be read" } }),
        );
        byScope.set(s.customerId, text);
      }
      const json = await text;
      if (json === s.last || s.res.writableEnded) continue;
      s.last = json;
      s.res.write(`event: state\ndata: ${json}\n\n`);
    }
  }
}
