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

/**
 * The calls of every extension, fed by the proxy's call events (a `CallEventSink`):
 * started → early for the caller and the callee, answered → confirmed, ended →
 * terminated (reported once, then forgotten, so the lamp goes back to idle).
 */
export class LineStates {
  readonly #lines = new Map<string, Map<string, DialogView>>();
  #listener: LineChangeListener | undefined;

  set onChange(listener: LineChangeListener | undefined) {
    this.#listener = listener;
  }

  /** The calls of an extension now; empty when idle. */
  dialogs(customerId: number, extension: string): DialogView[] {
    return [...(this.#lines.get(lineKey(customerId, extension))?.values() ?? [])];
  }

  onCallStarted(e: CallFacts): void {
    this.#each(e, "early");
  }

  onCallAnswered(e: CallFacts & { readonly toTag: string }): void {
    this.#each(e, "confirmed");
  }

  onCallEnded(e: CallFacts): void {
    this.#each(e, "terminated");
  }

  #each(e: CallFacts, state: DialogState): void {
    const callerExt = e.caller.extension;
    if (callerExt !== undefined) {
      this.#set(e.caller.customerId, callerExt, {
        id: dialogId(e.callId, e.fromTag),
        callId: e.callId,
        localTag: e.fromTag,
        remoteTag: e.toTag,
        direction: "initiator",
        state,
        remote: e.callee?.uri ?? e.dialled,
      });
    }
    const callee = e.callee;
    if (callee?.extension !== undefined) {
      this.#set(callee.customerId, callee.extension, {
        id: dialogId(e.callId, e.fromTag),
        callId: e.callId,
        localTag: e.toTag,
        remoteTag: e.fromTag,
        direction: "recipient",
        state,
        remote: e.caller.uri,
      });
    }
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
