import type { Logger } from "pino";
import type { CallStats, MediaController, MediaControllerDelegate, MediaOptions } from "./controller.js";
import { MediaNodeUnavailableError, UnknownCallError } from "./errors.js";

export interface MediaNodePoolOptions {
  /** A node marked down is tried again after this long (ms). Default 10 000. */
  retryDownAfterMs?: number;
  logger?: Logger;
}

interface Node {
  controller: MediaController;
  calls: number;
  downUntil: number;
}

/**
 * Spreads calls over several media controllers (nodes, or worker processes): a new call
 * goes to the up node with the fewest calls; later requests for it go to the same node.
 * A node that fails with MediaNodeUnavailableError is marked down and the new call is
 * anchored on the next one; a re-offer of a call whose node died is re-anchored elsewhere.
 */
export class MediaNodePool implements MediaController {
  delegate: MediaControllerDelegate | undefined;
  #nodes: Node[];
  #byCall = new Map<string, Node>();
  #retryMs: number;
  #log: Logger | undefined;
  #rr = 0;

  constructor(controllers: MediaController[], options: MediaNodePoolOptions = {}) {
    if (controllers.length === 0) throw new RangeError("MediaNodePool needs at least one controller");
    this.#retryMs = options.retryDownAfterMs ?? 10_000;
    this.#log = options.logger;
    this.#nodes = controllers.map((controller) => ({ controller, calls: 0, downUntil: 0 }));
    for (const node of this.#nodes) {
      node.controller.delegate = {
        onMediaTimeout: (callId) => {
          if (this.#byCall.get(callId) !== node) return;
          this.#forget(callId);
          this.delegate?.onMediaTimeout(callId);
        },
      };
    }
  }

  /** Which controllers are currently considered up (same order as given). */
  get up(): boolean[] {
    const now = Date.now();
    return this.#nodes.map((n) => n.downUntil <= now);
  }

  async offer(callId: string, fromTag: string, sdp: string, opts?: MediaOptions): Promise<string> {
    const current = this.#byCall.get(callId);
    if (current !== undefined) {
      try {
        return await current.controller.offer(callId, fromTag, sdp, opts);
      } catch (err) {
        if (!(err instanceof MediaNodeUnavailableError)) throw err;
        this.#markDown(current, err);
        this.#forget(callId);
      }
    }
    const tried = new Set<Node>();
    for (;;) {
      const node = this.#pick(tried);
      if (node === undefined)
        throw new MediaNodeUnavailableError(`no media node available for call ${callId}`);
      tried.add(node);
      try {
        const out = await node.controller.offer(callId, fromTag, sdp, opts);
        this.#byCall.set(callId, node);
        node.calls++;
        return out;
      } catch (err) {
        if (!(err instanceof MediaNodeUnavailableError)) throw err;
        this.#markDown(node, err);
      }
    }
  }

  answer(callId: string, toTag: string, sdp: string, opts?: MediaOptions): Promise<string> {
    return this.#onCallNode(callId, (c) => c.answer(callId, toTag, sdp, opts));
  }

  async delete(callId: string): Promise<boolean> {
    const node = this.#byCall.get(callId);
    if (node === undefined) return false;
    this.#forget(callId);
    try {
      return await node.controller.delete(callId);
    } catch (err) {
      if (!(err instanceof MediaNodeUnavailableError)) throw err;
      // The node is gone, and the call's ports with it.
      this.#markDown(node, err);
      return true;
    }
  }

  query(callId: string): Promise<CallStats> {
    return this.#onCallNode(callId, (c) => c.query(callId));
  }

  async list(): Promise<string[]> {
    return [...this.#byCall.keys()];
  }

  /** Resolves if at least one node answers. */
  async ping(): Promise<void> {
    let last: unknown;
    for (const node of this.#nodes) {
      try {
        await node.controller.ping();
        node.downUntil = 0;
        return;
      } catch (err) {
        last = err;
        if (err instanceof MediaNodeUnavailableError) this.#markDown(node, err);
      }
    }
    throw last;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#nodes.map((n) => n.controller.close()));
    this.#byCall.clear();
  }

  async #onCallNode<T>(callId: string, fn: (c: MediaController) => Promise<T>): Promise<T> {
    const node = this.#byCall.get(callId);
    if (node === undefined) throw new UnknownCallError(callId);
    try {
      return await fn(node.controller);
    } catch (err) {
      if (err instanceof MediaNodeUnavailableError) this.#markDown(node, err);
      throw err;
    }
  }

  #pick(exclude: Set<Node>): Node | undefined {
    const now = Date.now();
    let best: Node | undefined;
    const n = this.#nodes.length;
    for (let k = 0; k < n; k++) {
      const node = this.#nodes[(this.#rr + k) % n]!;
      if (exclude.has(node) || node.downUntil > now) continue;
      if (best === undefined || node.calls < best.calls) best = node;
    }
    this.#rr = (this.#rr + 1) % n;
    return best;
  }

  #markDown(node: Node, err: Error): void {
    node.downUntil = Date.now() + this.#retryMs;
    this.#log?.warn({ err: err.message, retryMs: this.#retryMs }, "media node marked down");
  }

  #forget(callId: string): void {
    const node = this.#byCall.get(callId);
    if (node === undefined) return;
    this.#byCall.delete(callId);
    node.calls--;
  }
}
