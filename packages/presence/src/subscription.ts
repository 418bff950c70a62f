import type { TransactionTarget } from "@centrex/sip";

/** The event packages served: busy lamps and the message-waiting lamp. */
export type EventPackage = "dialog" | "message-summary";

/** One accepted SUBSCRIBE: the dialog it made (RFC 6665 §4.1.2) and what it watches. */
export interface Subscription {
  readonly event: EventPackage;
  /** The Event header's id parameter, echoed in every NOTIFY (RFC 6665 §8.2.1). */
  readonly eventId: string | undefined;
  readonly callId: string;
  /** Our tag (the To tag of our 200) and the subscriber's From tag. */
  readonly localTag: string;
  /** The SUBSCRIBE's To with our tag: the From of our NOTIFYs. */
  readonly localParty: string;
  /** The SUBSCRIBE's From: the To of our NOTIFYs. */
  readonly remoteParty: string;
  /** The subscriber's Contact, where NOTIFYs are addressed, and the flow they leave by. */
  readonly contact: string;
  readonly target: TransactionTarget;
  /** Our address as the subscriber reached it: Via sent-by and Contact. */
  readonly localHostPort: string;
  readonly customerId: number;
  /** The extension watched (for message-summary: the subscriber's own). */
  readonly resource: string;
  /** The subscriber, for refreshes: only it may refresh or end its subscription. */
  readonly subscriber: string;
  /** The entity named in the documents: the Request-URI watched. */
  readonly entity: string;
  cseq: number;
  version: number;
  expiresAt: number;
  timer: NodeJS.Timeout | undefined;
}

export function subscriptionKey(callId: string, localTag: string): string {
  return `${callId}\0${localTag}`;
}

export function resourceKey(event: EventPackage, customerId: number, extension: string): string {
  return `${event}|${customerId}:${extension}`;
}
