import type { DigestAuthenticator } from "@centrex/registrar";
import type { SipStack } from "@centrex/sip";
import type { Store } from "@centrex/store";
import type { Trunk } from "@centrex/trunk";
import type { Logger } from "pino";
import type { CallEventSink } from "./call-events.js";
import type { CallPolicy } from "./call-policy.js";
import type { MediaAnchor } from "./media-anchor.js";
import type { SessionTimerSettings } from "./session-timer.js";
import type { VoicemailRouter } from "./voicemail-route.js";

export interface ProxyOptions {
  readonly stack: SipStack;
  readonly store: Pick<
    Store,
    "extensions" | "locations" | "ringGroups" | "numbers" | "policies" | "features" | "customers"
  >;
  readonly authenticator: DigestAuthenticator;
  readonly events?: CallEventSink;
  /** The media relay every call is anchored through; none = media flows phone to phone. */
  readonly media?: MediaAnchor;
  /** The operator's rules for numbers that are not extensions; none = such calls get 404. */
  readonly policy?: CallPolicy;
  /** Where the support line (22 22) rings: the operator's own extension. */
  readonly support?: () => Promise<{ customerId: number; extensionId: number } | undefined>;
  /** The carriers: PSTN and emergency calls go out through them, DID calls come in from them. */
  readonly trunk?: Trunk;
  /** Fraud detection on PSTN calls: a call it does not admit is refused (emergency calls never ask). */
  readonly pstnGuard?: PstnGuard;
  /**
   * The voicemail: its feature codes and mailboxes; none = those codes are ordinary numbers and
   * calls forwarded to "voicemail" get 480 (logged).
   */
  readonly voicemail?: VoicemailRouter;
  /** RFC 4028 session timers: the interval put in INVITEs and the Min-SE; default 1800 s / 90 s. */
  readonly sessionTimer?: SessionTimerSettings;
  /** How long a call may ring before the caller gets 480 (ms); default 60 s. */
  readonly ringTimeoutMs?: number;
  /** Challenge initial requests from phones with 407 (production); a bench may turn it off. */
  readonly authenticateCalls?: boolean;
  /** Address put in our Via and Record-Route when the listener is a wildcard. */
  readonly advertisedAddress?: string;
  /** Other names phones know this server by (the failover service name): Routes to them are ours. */
  readonly localNames?: readonly string[];
  readonly clock?: () => number;
  readonly logger?: Logger;
}

/** Admits (or not) a call to the PSTN: live fraud monitors. */
export interface PstnGuard {
  admit(call: {
    callId: string;
    customerId: number;
    extension: string;
    destinationClass: string;
    called: string;
  }): Promise<boolean>;
  ended(callId: string): void;
}
