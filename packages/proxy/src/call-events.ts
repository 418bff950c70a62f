/**
 * What the proxy tells the rest of the switch about calls: the raw material of
 * call records (billing), metrics and media cleanup. Times are epoch ms.
 */
export interface CallParty {
  readonly customerId: number;
  readonly extension?: string;
  readonly uri: string;
}

/** How the call is classified for records and billing. */
export interface CallRouting {
  readonly direction: "internal" | "outbound" | "inbound";
  /** "internal", "support", "emergency", or the dialplan's destination class. */
  readonly destinationClass: string;
  /** Normalised: E.164 for the PSTN, the extension number inside the customer. */
  readonly called?: string;
  readonly carrier?: string;
}

export interface CallStarted {
  readonly callId: string;
  readonly fromTag: string;
  readonly caller: CallParty;
  readonly dialled: string;
  readonly callee?: CallParty;
  readonly routing: CallRouting;
  readonly startedAt: number;
  /** The Call-ID of the call this one was transferred from (the transferee's call after a REFER). */
  readonly transferredFrom?: string;
}

export type CallEndReason =
  | "caller-bye"
  | "callee-bye"
  | "cancelled"
  | "busy"
  | "no-answer"
  | "rejected"
  | "unreachable"
  | "media-timeout"
  | "session-timer-expired"
  /** An operator (or a customer's administrator) hung the call up from the console or the API. */
  | "operator"
  | "refused"
  | "shutdown";

export interface CallEnded {
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag?: string;
  readonly caller: CallParty;
  readonly dialled: string;
  readonly callee?: CallParty;
  readonly routing: CallRouting;
  readonly startedAt: number;
  readonly transferredFrom?: string;
  readonly answeredAt?: number;
  readonly endedAt: number;
  /** Final SIP status of the INVITE (200 for an answered call). */
  readonly status: number;
  readonly reason: CallEndReason;
  /** For a refusal by the operator's rules: the dialplan's refusal code. */
  readonly refusal?: string;
}

export interface CallEventSink {
  onCallStarted?(e: CallStarted): void;
  /**
   * The extensions whose phones ring for this call now, when they are not simply the callee
   * (a ring group's members; a hunt moves on). An empty list: none rings any more.
   */
  onCallRinging?(e: CallStarted & { readonly ringing: readonly CallParty[] }): void;
  onCallAnswered?(e: CallStarted & { readonly toTag: string; readonly answeredAt: number }): void;
  /**
   * One party left an answered call that goes on without it (an outside party's transferor, once
   * the switch holds the call): its lamp goes idle. The call's record is unchanged.
   */
  onCallPartyLeft?(e: CallStarted & { readonly toTag: string; readonly left: "caller" | "callee" }): void;
  /** Awaited before the BYE's 200 goes out, so a call record can be made durable first. */
  onCallEnded?(e: CallEnded): void | Promise<void>;
}
