import type { DialogState, DialogView } from "./dialog-info.js";

/** One side of a call as the proxy reports it (structurally the proxy's CallParty). */
export interface CallSide {
  readonly customerId: number;
  readonly extension?: string;
  readonly uri: string;
}

/** The fields of the proxy's call events a busy lamp needs (structurally its CallStarted/CallEnded). */
export interface CallFacts {
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag?: string;
  readonly caller: CallSide;
  readonly callee?: CallSide;
  readonly dialled: string;
}

/** Told when an extension's calls changed: its lamp watchers get a NOTIFY. */
export type LineChangeListener = (
  customerId: number,
  extension: string,
  dialogs: readonly DialogView[],
) => void;

/** A line one call shows on, and how. */
interface CallLine {
  readonly customerId: number;
  readonly extension: string;
  readonly view: DialogView;
}

/**
 * The calls of every extension, fed by the proxy's call events (a `CallEventSink`):
 * started → early for the caller and the callee, ringing → early for the extensions rung for
 * the call (a ring group's members), answered → confirmed for the caller and whoever answered
 * (the others rung stop ringing), ended → terminated (reported once, then forgotten, so the
 * lamp goes back to idle).
 */
export class LineStates {
  readonly #lines = new Map<string, Map<string, DialogView>>();
  /** The lines each call shows on now, by dialog id: a line the call leaves is terminated. */
  readonly #calls = new Map<string, Map<string, CallLine>>();
  #listener: LineChangeListener | undefined;
  /** Lines a call goes on without (a party left it), by dialog id: not shown on it again. */
  readonly #left = new Map<string, Set<string>>();

  set onChange(listener: LineChangeListener | undefined) {
    this.#listener = listener;
  }

  /** The calls of an extension now; empty when idle. */
  dialogs(customerId: number, extension: string): DialogView[] {
    return [...(this.#lines.get(lineKey(customerId, extension))?.values() ?? [])];
  }

  onCallStarted(e: CallFacts): void {
    this.#each(e, "early", []);
  }

  /** The extensions rung for the call now (a hunt group moves from one member to the next). */
  onCallRinging(e: CallFacts & { readonly ringing: readonly CallSide[] }): void {
    this.#each(e, "early", e.ringing);
  }

  onCallAnswered(e: CallFacts & { readonly toTag: string }): void {
    this.#each(e, "confirmed", []);
  }

  /** A party left a call that goes on (an outside party's transferor): its line is idle of it. */
  onCallPartyLeft(e: CallFacts & { readonly toTag: string; readonly left: "caller" | "callee" }): void {
    const party = e.left === "caller" ? e.caller : e.callee;
    if (party?.extension === undefined) return;
    const id = dialogId(e.callId, e.fromTag);
    const left = this.#left.get(id) ?? new Set<string>();
    left.add(lineKey(party.customerId, party.extension));
    this.#left.set(id, left);
    this.#each(e, "confirmed", []);
  }

  onCallEnded(e: CallFacts): void {
    this.#each(e, "terminated", []);
  }

  #each(e: CallFacts, state: DialogState, ringing: readonly CallSide[]): void {
    const id = dialogId(e.callId, e.fromTag);
    const now = new Map<string, CallLine>();
    const callerExt = e.caller.extension;
    if (callerExt !== undefined) {
      now.set(lineKey(e.caller.customerId, callerExt), {
        customerId: e.caller.customerId,
        extension: callerExt,
        view: {
          id,
          callId: e.callId,
          localTag: e.fromTag,
          remoteTag: e.toTag,
          direction: "initiator",
          state,
          remote: e.callee?.uri ?? e.dialled,
        },
      });
    }
    for (const callee of e.callee === undefined ? ringing : [e.callee, ...ringing]) {
      if (callee.extension === undefined) continue;
      now.set(lineKey(callee.customerId, callee.extension), {
        customerId: callee.customerId,
        extension: callee.extension,
        view: {
          id,
          callId: e.callId,
          localTag: e.toTag,
          remoteTag: e.fromTag,
          direction: "recipient",
          state,
          remote: e.caller.uri,
        },
      });
    }
    for (const key of this.#left.get(id) ?? []) now.delete(key);
    const before = this.#calls.get(id);
    if (before !== undefined) {
      for (const [key, line] of before) {
        if (!now.has(key)) this.#set(line.customerId, line.extension, { ...line.view, state: "terminated" });
      }
    }
    for (const line of now.values()) this.#set(line.customerId, line.extension, line.view);
    if (state === "terminated") {
      this.#calls.delete(id);
      this.#left.delete(id);
    } else this.#calls.set(id, now);
  }

  #set(customerId: number, extension: string, view: DialogView): void {
    const key = lineKey(customerId, extension);
    let line = this.#lines.get(key);
    if (line === undefined) {
      if (view.state === "terminated") return; // never seen: nothing to end
      line = new Map();
      this.#lines.set(key, line);
    }
    const before = line.get(view.id);
    if (before?.state === view.state) return;
    line.set(view.id, view);
    this.#listener?.(customerId, extension, [...line.values()]);
    // Reported once as terminated: then the line is idle again.
    if (view.state === "terminated") {
      line.delete(view.id);
      if (line.size === 0) this.#lines.delete(key);
    }
  }
}

function lineKey(customerId: number, extension: string): string {
  return `${customerId}:${extension}`;
}

/** A short stable id: the Call-ID may be long and carry characters phones dislike in ids. */
function dialogId(callId: string, fromTag: string): string {
  let h = 0x811c9dc5;
  const s = `${callId}\0${fromTag}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}
