/**
 * @centrex/proxy — the call path: a stateful, record-routing proxy (RFC 3261
 * §16) that authenticates callers, forks to every registered phone of the
 * callee, relays in-dialog requests, and reports call events.
 */
export type {
  CallEnded,
  CallEndReason,
  CallEventSink,
  CallParty,
  CallRouting,
  CallStarted,
} from "./call-events.js";
export { CallPolicy } from "./call-policy.js";
export { DialogTracker } from "./dialogs.js";
export { ProxyRefusal } from "./errors.js";
export { type FeatureCode, type ForwardKind, parseFeatureCode } from "./feature-codes.js";
export { Fork, type ForkOwner } from "./fork.js";
export { DIVERSION_REASON, type ForwardCause } from "./forward-cause.js";
export { MAX_FORWARDS } from "./forwarding.js";
export type { HangUpOutcome } from "./hang-up.js";
export { MediaAnchor } from "./media-anchor.js";
export { fixNatedContact } from "./nat.js";
export { type ProxyOptions, type PstnGuard, SipProxy } from "./proxy.js";
export { PstnCall, type PstnCallOwner } from "./pstn-call.js";
export { SESSION_TIMER_DEFAULTS, type SessionTimerSettings, SessionTimers } from "./session-timer.js";
export { type VoicemailRoute, type VoicemailRouter, voicemailBinding } from "./voicemail-route.js";
