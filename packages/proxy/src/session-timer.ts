import type { SipRequest, SipResponse } from "@centrex/sip";
import { ProxyRefusal } from "./errors.js";

/** The proxy's session-timer rules (RFC 4028), in seconds. */
export interface SessionTimerSettings {
  /** Session-Expires put into an INVITE that asks for none (RFC 4028 §8.1). */
  readonly intervalSeconds: number;
  /** The smallest interval accepted: a smaller Session-Expires gets 422 with this Min-SE. */
  readonly minSeconds: number;
}

export const SESSION_TIMER_DEFAULTS: SessionTimerSettings = { intervalSeconds: 1800, minSeconds: 90 };

/** A Session-Expires value: delta-seconds and an optional refresher (RFC 4028 §4). */
interface SessionExpires {
  readonly seconds: number;
  readonly refresher?: "uac" | "uas";
}

/**
 * RFC 4028 in the middle of the call: the proxy checks and completes every
 * session refresh request (initial INVITE, re-INVITE, UPDATE) on its way,
 * reads the interval the phones agreed on from the 2xx, and arms a timer per
 * call. When no refresh is answered within the interval, `onExpired` ends the
 * call (BYE both ways, record closed): no ghost call outlives a lost BYE.
 * Calls where neither phone supports `timer` get no timer: nothing would
 * refresh them, and the relay's media timeout watches those instead.
 */
export class SessionTimers {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Each running timer's session interval (s), as the phones agreed on it. */
  readonly #intervals = new Map<string, number>();

  constructor(
    readonly settings: SessionTimerSettings,
    readonly onExpired: (callId: string, seconds: number) => void,
  ) {}

  /** Calls with a running session timer. */
  get active(): number {
    return this.#timers.size;
  }

  /**
   * §8.1: a session refresh request passing through. Too small an interval gets 422 with our
   * Min-SE when the caller supports timer (it retries with a larger one), else it is raised;
   * none asked for gets ours (never below the request's Min-SE).
   */
  /**
   * Whether `onRequest` would refuse `req` (422, or 400 for a malformed header), decided without
   * changing it: a request it refuses is never answered statelessly with a challenge.
   */
  refuses(req: SipRequest): boolean {
    try {
      const se = parseSessionExpires(req.get("session-expires"), "Session-Expires");
      parseDelta(req.get("min-se"), "Min-SE");
      return se !== undefined && se.seconds < this.settings.minSeconds && supportsTimer(req);
    } catch {
      return true;
    }
  }

  onRequest(req: SipRequest): void {
    const { minSeconds, intervalSeconds } = this.settings;
    const se = parseSessionExpires(req.get("session-expires"), "Session-Expires");
    const reqMin = parseDelta(req.get("min-se"), "Min-SE");
    const floor = Math.max(minSeconds, reqMin ?? 0);
    if (se === undefined) {
      req.set("session-expires", String(Math.max(intervalSeconds, floor)));
    } else if (se.seconds < minSeconds) {
      if (supportsTimer(req)) {
        throw new ProxyRefusal(422, "Session Interval Too Small", false, [["Min-SE", String(minSeconds)]]);
      }
      req.set("session-expires", withSeconds(req.get("session-expires") ?? "", minSeconds));
    }
    if (reqMin === undefined || reqMin < minSeconds) req.set("min-se", String(minSeconds));
  }

  /**
   * §8.2: the 2xx to a session refresh request. With a Session-Expires the phones agreed on an
   * interval: the call's timer restarts. Without one, a caller that supports timer refreshes
   * itself (we say so in the response: refresher=uac, Require: timer); else no timer runs.
   */
  onAnswer(req: SipRequest, res: SipResponse): void {
    if (res.status < 200 || res.status >= 300) return;
    let se = parseSessionExpires(res.get("session-expires"), "Session-Expires", false);
    if (se === undefined && supportsTimer(req)) {
      const asked = parseSessionExpires(req.get("session-expires"), "Session-Expires", false);
      if (asked !== undefined) {
        se = { seconds: asked.seconds, refresher: "uac" };
        res.set("session-expires", `${asked.seconds};refresher=uac`);
        res.append("require", "timer");
      }
    }
    if (se === undefined) {
      this.stop(req.callId);
      return;
    }
    this.#arm(req.callId, se.seconds);
  }

  /** The session interval of a call whose timer runs (s); undefined when none runs. */
  intervalOf(callId: string): number | undefined {
    return this.#intervals.get(callId);
  }

  stop(callId: string): void {
    const t = this.#timers.get(callId);
    if (t === undefined) return;
    clearTimeout(t);
    this.#timers.delete(callId);
    this.#intervals.delete(callId);
  }

  stopAll(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#intervals.clear();
  }

  #arm(callId: string, seconds: number): void {
    this.stop(callId);
    const t = setTimeout(() => {
      this.#timers.delete(callId);
      this.#intervals.delete(callId);
      this.onExpired(callId, seconds);
    }, seconds * 1000);
    // A call's timer never keeps the process alive on its own.
    t.unref();
    this.#timers.set(callId, t);
    this.#intervals.set(callId, seconds);
  }
}

function supportsTimer(m: SipRequest): boolean {
  const values = [...m.getAll("supported"), ...m.getAll("require")];
  return values.some((v) => v.split(",").some((t) => t.trim().toLowerCase() === "timer"));
}

const DELTA = /^\s*(\d{1,10})\s*$/;

function parseDelta(value: string | undefined, header: string): number | undefined {
  if (value === undefined) return undefined;
  const m = DELTA.exec(value.split(";")[0] ?? "");
  if (m === null || Number(m[1]) < 1) throw new ProxyRefusal(400, `Bad Request - Malformed ${header}`);
  return Number(m[1]);
}

/** `1800;refresher=uac`; a malformed value in a request is a 400 naming the header, in a response ignored. */
function parseSessionExpires(
  value: string | undefined,
  header: string,
  strict = true,
): SessionExpires | undefined {
  if (value === undefined) return undefined;
  try {
    const seconds = parseDelta(value, header);
    if (seconds === undefined) return undefined;
    const refresher = /;\s*refresher\s*=\s*(uac|uas)\b/i.exec(value)?.[1]?.toLowerCase();
    return refresher === "uac" || refresher === "uas" ? { seconds, refresher } : { seconds };
  } catch (err) {
    if (strict) throw err;
    return undefined;
  }
}

function withSeconds(value: string, seconds: number): string {
  const i = value.indexOf(";");
  return i < 0 ? String(seconds) : `${seconds}${value.slice(i)}`;
}
