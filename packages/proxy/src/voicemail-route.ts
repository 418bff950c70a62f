import type { TransactionTarget } from "@centrex/sip";
import type { Binding } from "@centrex/store";
import { bindingAt } from "./addressing.js";

/** A call for the voicemail: which mailbox, and where its SIP user agent listens. */
export interface VoicemailRoute {
  /** The mailbox's extension (for records and lamps; the contact carries more). */
  readonly mailbox: string;
  readonly kind: "deposit" | "retrieve";
  /** The Request-URI the call is sent with, and the socket it goes to. */
  readonly contact: string;
  readonly target: TransactionTarget;
}

/**
 * The voicemail as the proxy sees it (the switch wires the service in). A
 * forwarding rule's "voicemail:<ext>" target is `deposit(customer, ext)`.
 */
export interface VoicemailRouter {
  /** The voicemail call a dialled string designates (a feature code), if any. */
  dialled(customerId: number, callerExtension: string, dialled: string): Promise<VoicemailRoute | undefined>;
  /** Leaving a message in an extension's mailbox (no answer, busy, unreachable). */
  deposit(customerId: number, extension: string): VoicemailRoute;
}

/** The voicemail's socket as a location binding, so the call is forked, anchored and recorded like any. */
export function voicemailBinding(r: VoicemailRoute, now: number): Binding {
  return bindingAt(r.contact, r.target, now);
}
