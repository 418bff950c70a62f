import type { DigestAuthenticator } from "@centrex/registrar";
import {
  createResponse,
  newTag,
  type ServerTransactionLike,
  type SipRequest,
  type SipStack,
  type SipUri,
  type TransactionTarget,
} from "@centrex/sip";
import type { Store } from "@centrex/store";
import type { Logger } from "pino";
import { DIALOG_INFO_TYPE, type DialogView, dialogInfoBody } from "./dialog-info.js";
import { SubscribeRefusal } from "./errors.js";
import type { LineStates } from "./line-states.js";
import { type MailboxCounts, MESSAGE_SUMMARY_TYPE, messageSummaryBody } from "./message-summary.js";
import { notifyRequest } from "./notify-request.js";
import { type EventPackage, resourceKey, type Subscription, subscriptionKey } from "./subscription.js";

/** How many messages a mailbox holds (the voicemail service answers). */
export interface MailboxSource {
  counts(customerId: number, extension: string): Promise<MailboxCounts>;
}

export interface NotifierOptions {
  readonly stack: SipStack;
  readonly store: Pick<Store, "extensions">;
  readonly authenticator: Pick<DigestAuthenticator, "authenticate">;
  /** Calls of every extension (fed by the proxy's call events). */
  readonly lines: LineStates;
  /** Mailbox contents for message-summary; none = every mailbox is empty. */
  mailboxes?: MailboxSource;
  /** Address put in our Via and Contact instead of the socket's. */
  readonly advertisedAddress?: string;
  /** Bounds on the Expires granted (s): below min is refused 423, above max is lowered. */
  readonly minExpires?: number;
  readonly maxExpires?: number;
  /** Granted when the SUBSCRIBE names none (RFC 4235 §3.2 and RFC 3842 §4.2 leave it to us). */
  readonly defaultExpires?: number;
  readonly clock?: () => number;
  readonly logger?: Logger;
}

const ALLOW_EVENTS = "dialog, message-summary";
const PACKAGES: ReadonlySet<string> = new Set<EventPackage>(["dialog", "message-summary"]);

/**
 * The notifier (RFC 6665) for phones of the switch's customers: busy lamps
 * (`Event: dialog`, RFC 4235) on any extension of the subscriber's own customer,
 * and the message-waiting lamp (`Event: message-summary`, RFC 3842) on the
 * subscriber's own mailbox. Subscriptions live in memory; phones refresh them.
 */
export class Notifier {
  readonly #o: NotifierOptions;
  readonly #subs = new Map<string, Subscription>();
  readonly #byResource = new Map<string, Set<Subscription>>();

  constructor(opts: NotifierOptions) {
    this.#o = opts;
    opts.lines.onChange = (customerId, extension, dialogs) => {
      for (const sub of this.#watching("dialog", customerId, extension)) this.#notifyDialogs(sub, dialogs);
    };
  }

  /** Subscriptions alive now. */
  get size(): number {
    return this.#subs.size;
  }

  set mailboxes(source: MailboxSource) {
    this.#o.mailboxes = source;
  }

  /** A SUBSCRIBE for us (initial, refresh, or Expires: 0 to end it). */
  onSubscribe(req: SipRequest, tx: ServerTransactionLike): void {
    this.#handle(req, tx).catch((err: unknown) => {
      if (err instanceof SubscribeRefusal) {
        this.#o.logger?.info(
          { event: "subscribe-refused", callId: req.callId, status: err.status, reason: err.reason },
          "SUBSCRIBE refused",
        );
        tx.respond(createResponse(req, err.status, err.reason, { headers: err.headers }));
        return;
      }
      this.#o.logger?.error({ err, callId: req.callId }, "SUBSCRIBE handling failed");
      tx.respond(createResponse(req, 500, "Server Internal Error"));
    });
  }

  /** A mailbox changed (message left, listened to, deleted): its lamp watchers are told. */
  mailboxChanged(customerId: number, extension: string): void {
    for (const sub of this.#watching("message-summary", customerId, extension)) void this.#notifyMailbox(sub);
  }

  /** Stops the expiry timers (shutdown); the phones re-subscribe to whichever node serves next. */
  close(): void {
    for (const sub of this.#subs.values()) clearTimeout(sub.timer);
    this.#subs.clear();
    this.#byResource.clear();
  }

  async #handle(req: SipRequest, tx: ServerTransactionLike): Promise<void> {
    const event = parseEvent(req.get("event"));
    if (event === undefined) throw new SubscribeRefusal(489, "Bad Event", [["Allow-Events", ALLOW_EVENTS]]);
    const from = req.from.uri;
    if (from.scheme !== "sip" && from.scheme !== "sips")
      throw new SubscribeRefusal(403, "Forbidden - Unknown subscriber");
    const domain = (from as SipUri).host.toLowerCase();
    // Refreshes are authenticated too: a SUBSCRIBE is answered for a known phone only.
    const auth = await this.#o.authenticator.authenticate(req, domain, "www");
    if (!auth.ok) {
      if (auth.response.status === 401) tx.respondStateless(auth.response);
      else tx.respond(auth.response);
      return;
    }
    if ((from as SipUri).user !== auth.username) {
      throw new SubscribeRefusal(403, "Forbidden - From does not match credentials");
    }
    const subscriber = `${auth.credentials.customerId}:${auth.username}`;
    const expires = this.#grantedExpires(req);
    const toTag = req.to.params.get("tag");
    if (typeof toTag === "string") {
      this.#refresh(req, tx, toTag, subscriber, expires);
      return;
    }
    const customerId = auth.credentials.customerId;
    const resource = await this.#resource(req, domain, customerId, auth.username, event.pkg);
    const contact = req.contact[0]?.uri.raw;
    if (contact === undefined) throw new SubscribeRefusal(400, "Bad Request - Missing Contact");
    const source = this.#o.stack.sourceOf(req);
    if (source === undefined) return;
    const target: TransactionTarget = {
      transport: source.transport,
      address: source.remoteAddress,
      port: source.remotePort,
      ...(source.connectionId !== undefined && { connectionId: source.connectionId }),
    };
    const host = this.#o.advertisedAddress ?? source.localAddress;
    const localTag = newTag();
    const localHostPort = `${bracket(host)}:${source.localPort}`;
    const sub: Subscription = {
      event: event.pkg,
      eventId: event.id,
      callId: req.callId,
      localTag,
      localParty: `${req.get("to") ?? ""};tag=${localTag}`,
      remoteParty: req.get("from") ?? "",
      contact,
      target,
      localHostPort,
      customerId,
      resource,
      subscriber,
      entity: `sip:${resource}@${domain}`,
      cseq: 0,
      version: 0,
      expiresAt: 0,
      timer: undefined,
    };
    tx.respond(this.#ok(req, sub, expires));
    if (expires === 0) {
      // A fetch (RFC 6665 §4.4.3): one NOTIFY with the state, and no subscription.
      this.#notifyNow(sub, "terminated;reason=timeout");
      return;
    }
    this.#add(sub, expires);
    this.#o.logger?.info(
      { event: "subscribed", callId: req.callId, package: sub.event, resource, subscriber, expires },
      "subscription accepted",
    );
    this.#notifyNow(sub);
  }

  /** Which extension the SUBSCRIBE watches; refused unless it is one the subscriber may watch. */
  async #resource(
    req: SipRequest,
    domain: string,
    customerId: number,
    subscriber: string,
    pkg: EventPackage,
  ): Promise<string> {
    const uri = req.uri;
    if (uri.scheme !== "sip" && uri.scheme !== "sips")
      throw new SubscribeRefusal(416, "Unsupported URI Scheme");
    const u = uri as SipUri;
    if (u.user === undefined) throw new SubscribeRefusal(404, "Not Found");
    const host = u.host.toLowerCase();
    const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[");
    // Tenants are isolated: a lamp shows only the subscriber's own customer's extensions.
    if (!isIp && host !== domain)
      throw new SubscribeRefusal(403, "Forbidden - Not an extension of your customer");
    if (pkg === "message-summary" && u.user !== subscriber) {
      throw new SubscribeRefusal(403, "Forbidden - Not your mailbox");
    }
    const ext = await this.#o.store.extensions.find(customerId, u.user);
    if (ext === undefined) throw new SubscribeRefusal(404, "Not Found");
    return u.user;
  }

  #refresh(
    req: SipRequest,
    tx: ServerTransactionLike,
    toTag: string,
    subscriber: string,
    expires: number,
  ): void {
    const sub = this.#subs.get(subscriptionKey(req.callId, toTag));
    if (sub === undefined || sub.subscriber !== subscriber) {
      throw new SubscribeRefusal(481, "Subscription Does Not Exist");
    }
    tx.respond(this.#ok(req, sub, expires));
    if (expires === 0) {
      this.#remove(sub);
      this.#o.logger?.info(
        { event: "unsubscribed", callId: req.callId, package: sub.event },
        "subscription ended",
      );
      this.#notifyNow(sub, "terminated;reason=timeout");
      return;
    }
    this.#arm(sub, expires);
    this.#notifyNow(sub);
  }

  #ok(req: SipRequest, sub: Subscription, expires: number) {
    return createResponse(req, 200, "OK", {
      toTag: sub.localTag,
      headers: [
        ["Expires", String(expires)],
        ["Contact", `<sip:${sub.localHostPort}${transportParam(sub.target)}>`],
      ],
    });
  }

  #grantedExpires(req: SipRequest): number {
    const asked = req.expires ?? this.#o.defaultExpires ?? 3600;
    if (asked === 0) return 0;
    const min = this.#o.minExpires ?? 60;
    if (asked < min) throw new SubscribeRefusal(423, "Interval Too Brief", [["Min-Expires", String(min)]]);
    return Math.min(asked, this.#o.maxExpires ?? 3600);
  }

  #add(sub: Subscription, expires: number): void {
    this.#subs.set(subscriptionKey(sub.callId, sub.localTag), sub);
    const key = resourceKey(sub.event, sub.customerId, sub.resource);
    let set = this.#byResource.get(key);
    if (set === undefined) {
      set = new Set();
      this.#byResource.set(key, set);
    }
    set.add(sub);
    this.#arm(sub, expires);
  }

  #arm(sub: Subscription, expires: number): void {
    clearTimeout(sub.timer);
    sub.expiresAt = this.#now() + expires * 1000;
    sub.timer = setTimeout(() => {
      this.#remove(sub);
      this.#o.logger?.info(
        { event: "subscription-expired", callId: sub.callId, package: sub.event },
        "subscription expired",
      );
      this.#notifyNow(sub, "terminated;reason=timeout");
    }, expires * 1000);
    sub.timer.unref();
  }

  #remove(sub: Subscription): void {
    clearTimeout(sub.timer);
    sub.timer = undefined;
    if (!this.#subs.delete(subscriptionKey(sub.callId, sub.localTag))) return;
    const key = resourceKey(sub.event, sub.customerId, sub.resource);
    const set = this.#byResource.get(key);
    set?.delete(sub);
    if (set?.size === 0) this.#byResource.delete(key);
  }

  #watching(event: EventPackage, customerId: number, extension: string): Subscription[] {
    return [...(this.#byResource.get(resourceKey(event, customerId, extension)) ?? [])];
  }

  #notifyNow(sub: Subscription, state?: string): void {
    if (sub.event === "dialog") {
      this.#notifyDialogs(sub, this.#o.lines.dialogs(sub.customerId, sub.resource), state);
    } else {
      void this.#notifyMailbox(sub, state);
    }
  }

  #notifyDialogs(sub: Subscription, dialogs: readonly DialogView[], state?: string): void {
    this.#send(sub, DIALOG_INFO_TYPE, dialogInfoBody(sub.entity, sub.version++, dialogs), state);
  }

  async #notifyMailbox(sub: Subscription, state?: string): Promise<void> {
    try {
      const counts = (await this.#o.mailboxes?.counts(sub.customerId, sub.resource)) ?? {
        newMessages: 0,
        oldMessages: 0,
      };
      this.#send(sub, MESSAGE_SUMMARY_TYPE, messageSummaryBody(sub.entity, counts), state);
    } catch (err) {
      this.#o.logger?.error({ err, callId: sub.callId }, "mailbox counts unavailable: no NOTIFY");
    }
  }

  #send(sub: Subscription, contentType: string, body: Buffer, state?: string): void {
    const remaining = Math.max(0, Math.round((sub.expiresAt - this.#now()) / 1000));
    const req = notifyRequest({
      contact: sub.contact,
      sentBy: sub.localHostPort,
      target: sub.target,
      from: sub.localParty,
      to: sub.remoteParty,
      callId: sub.callId,
      cseq: ++sub.cseq,
      localContact: `<sip:${sub.localHostPort}${transportParam(sub.target)}>`,
      event: sub.eventId === undefined ? sub.event : `${sub.event};id=${sub.eventId}`,
      subscriptionState: state ?? `active;expires=${remaining}`,
      contentType,
      body,
    });
    const drop = (why: string) => {
      if (!this.#subs.has(subscriptionKey(sub.callId, sub.localTag))) return;
      this.#remove(sub);
      this.#o.logger?.info(
        { event: "subscription-dropped", callId: sub.callId, why },
        "subscription dropped",
      );
    };
    try {
      this.#o.stack.transactions.sendRequest(req, sub.target, {
        // RFC 6665 §4.2.2: a NOTIFY refused for good (481 and the like) ends the subscription.
        onResponse: (res) => {
          if (res.status >= 300 && res.status !== 401 && res.status !== 407)
            drop(`NOTIFY answered ${res.status}`);
        },
        onTimeout: () => drop("NOTIFY timed out"),
        onTransportError: () => drop("NOTIFY not sent"),
      });
    } catch (err) {
      this.#o.logger?.debug({ err, callId: sub.callId }, "NOTIFY not sent");
      drop("NOTIFY not sent");
    }
  }

  #now(): number {
    return (this.#o.clock ?? Date.now)();
  }
}

/** `Event: dialog;id=3` → the package and its id; undefined for a package not served. */
function parseEvent(header: string | undefined): { pkg: EventPackage; id: string | undefined } | undefined {
  if (header === undefined) return undefined;
  const [name, ...params] = header.split(";");
  const pkg = (name ?? "").trim().toLowerCase();
  if (!PACKAGES.has(pkg)) return undefined;
  let id: string | undefined;
  for (const p of params) {
    const [k, v] = p.split("=");
    if (k?.trim().toLowerCase() === "id" && v !== undefined) id = v.trim();
  }
  return { pkg: pkg as EventPackage, id };
}

function transportParam(target: TransactionTarget): string {
  return target.transport === "UDP" ? "" : `;transport=${target.transport.toLowerCase()}`;
}

function bracket(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
