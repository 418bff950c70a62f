/**
 * The public shape of a parsed SIP message: the contract between the parser
 * (`message/`), the transaction layer (`transaction/`) and everything above.
 *
 * Parsing is lazy: the parser indexes header lines when it reads the bytes and
 * decodes a header's value only when someone asks for it. A proxy that forwards
 * a request reads Via, Max-Forwards, Route and the Request-URI and never pays
 * for the rest.
 */

export type TransportName = "UDP" | "TCP" | "TLS" | "WS" | "WSS";

/** A generic `;name=value` parameter list; a flag parameter maps to `null`. */
export type Params = Map<string, string | null>;

export interface SipUri {
  readonly scheme: "sip" | "sips";
  readonly user: string | undefined; // unescaped
  readonly password: string | undefined;
  readonly host: string; // lower-cased; IPv6 kept with brackets
  readonly port: number | undefined;
  readonly params: Params; // names lower-cased
  readonly headers: Params;
  /** The exact text this URI was parsed from (forwarding keeps it byte-identical). */
  readonly raw: string;
}

export interface TelUri {
  readonly scheme: "tel";
  readonly number: string; // global (+...) or local
  readonly params: Params;
  readonly raw: string;
}

/** Any other absolute URI (RFC 3261 allows them in the Request-URI): kept opaque. */
export interface OtherUri {
  readonly scheme: string;
  readonly raw: string;
}

export type Uri = SipUri | TelUri | OtherUri;

export interface Via {
  readonly protocol: string; // "SIP/2.0"
  readonly transport: string; // upper-cased: UDP, TCP, TLS, WS...
  readonly host: string;
  readonly port: number | undefined;
  readonly params: Params;
  /** Shortcuts for the parameters the stack uses on every message. */
  readonly branch: string | undefined;
  readonly received: string | undefined;
  /** `null` when `rport` is present without a value (a request asking for it). */
  readonly rport: number | null | undefined;
}

/** From, To, Contact, Route, Record-Route, P-Asserted-Identity... */
export interface NameAddr {
  readonly displayName: string | undefined; // unquoted, unescaped
  readonly uri: Uri;
  readonly params: Params; // header parameters (tag, expires, q...), not URI parameters
  readonly raw: string;
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization. */
export interface Credentials {
  readonly scheme: string; // "Digest"
  readonly params: Map<string, string>; // names lower-cased, values unquoted
}

interface MessageBase {
  /**
   * All values of a header, by any name (long or compact form, any case),
   * comma-separated values split respecting quotes and `<>`; unknown headers
   * are returned verbatim (one entry per header line).
   */
  getAll(name: string): string[];
  /** The first value of a header, or undefined. */
  get(name: string): string | undefined;
  has(name: string): boolean;

  // Typed accessors, decoded on first use and cached.
  readonly via: readonly Via[]; // topmost first
  readonly from: NameAddr;
  readonly to: NameAddr;
  readonly callId: string;
  readonly cseq: CSeq;
  readonly contact: readonly NameAddr[]; // empty for none; see `contactStar`
  readonly contactStar: boolean; // `Contact: *`
  readonly maxForwards: number | undefined;
  readonly contentLength: number | undefined;
  readonly contentType: string | undefined;
  readonly expires: number | undefined;
  readonly route: readonly NameAddr[];
  readonly recordRoute: readonly NameAddr[];
  readonly body: Buffer; // zero length when none

  /** Header editing; serialization keeps untouched header lines byte-identical. */
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  prepend(name: string, value: string): void; // e.g. our Via on top
  remove(name: string): void;
  /** Remove the first value of a (possibly multi-valued) header, e.g. the topmost Via or Route. */
  removeFirst(name: string): void;
  setBody(body: Buffer, contentType?: string): void;

  /** Wire form; Content-Length always matches the body. */
  toBuffer(): Buffer;

  /**
   * Decode every typed header now, throwing the first `SipParseError` (status 400) that lazy
   * decoding would otherwise raise later (e.g. a malformed Contact or Route).
   */
  validate(): void;
}

export interface SipRequest extends MessageBase {
  readonly kind: "request";
  readonly method: string; // case-sensitive, as on the wire
  /** The Request-URI; settable (retargeting). */
  uri: Uri;
  readonly version: string; // "SIP/2.0"
  /**
   * An independent copy (what `parseMessage(req.toBuffer())` gives, without re-parsing): same
   * wire form; edits to either never show in the other. Shares the received bytes.
   */
  clone(): SipRequest;
}

export interface SipResponse extends MessageBase {
  readonly kind: "response";
  readonly status: number;
  readonly reason: string;
  readonly version: string;
  /** An independent copy; see `SipRequest.clone`. */
  clone(): SipResponse;
}

export type SipMessage = SipRequest | SipResponse;
