import { randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import {
  type ClientTransactionDelegate,
  createResponse,
  newBranch,
  newTag,
  parseMessage,
  parseUri,
  type ServerTransactionLike,
  type SipRequest,
  SipStack,
  type SipUri,
  splitList,
  type TransactionTarget,
  type TransactionUser,
} from "@centrex/sip";
import type { Logger } from "pino";
import { depositFlow, type FlowContext, retrieveFlow } from "./call-flows.js";
import { VoicemailRefusal } from "./errors.js";
import type { Mailboxes } from "./mailboxes.js";
import { MediaEndpoint } from "./media-endpoint.js";
import { Prompts } from "./prompts.js";
import { answerSdp, chooseMedia } from "./sdp.js";

/** Leave a message in a mailbox, or listen to one's own. */
export type VoicemailKind = "deposit" | "retrieve";

/** Where the proxy sends a voicemail call: the Request-URI and the socket to send it to. */
export interface VoicemailTarget {
  readonly contact: string;
  readonly target: TransactionTarget;
}

export interface VoicemailOptions {
  /** Address of the voicemail's SIP and RTP sockets (the relay in front of it faces the phones). */
  readonly address: string;
  /** SIP port; 0 (default) takes a free one. */
  readonly port?: number;
  readonly mailboxes: Mailboxes;
  readonly prompts?: Prompts;
  /** Longest message or greeting (s); default 120. */
  readonly maxRecordSeconds?: number;
  /** How long a menu waits for a key (ms); default 5000. */
  readonly keyTimeoutMs?: number;
  /** Longest voicemail call of any kind (ms): nothing stays up if a BYE is lost; default 15 min. */
  readonly maxCallMs?: number;
  /** A mailbox changed: its owner's message-waiting lamp is told (MWI). */
  onMailboxChanged?: (customerId: number, extension: string) => void;
  readonly logger?: Logger;
}

interface VoicemailCall {
  readonly callId: string;
  readonly media: MediaEndpoint;
  readonly answer: Buffer;
  /** Our side (the INVITE's To with our tag) and the caller's (its From). */
  readonly local: string;
  readonly remote: string;
  readonly remoteContact: string;
  readonly routeSet: readonly string[];
  cseq: number;
  ended: boolean;
  readonly limit: NodeJS.Timeout;
}

const ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS";

/**
 * The voicemail as a SIP user agent of its own (on its own loopback socket,
 * like a media server behind a proxy): the proxy routes calls to it with a
 * Request-URI from `target()`, which carries the mailbox and a per-process key
 * (so nothing but this switch's proxy can open a mailbox). It answers, plays
 * and records over RTP, and hangs up itself when a menu is done.
 */
export class VoicemailService implements TransactionUser {
  readonly mailboxes: Mailboxes;
  readonly #o: VoicemailOptions;
  readonly #prompts: Prompts;
  readonly #stack: SipStack;
  readonly #key = randomBytes(12).toString("hex");
  readonly #calls = new Map<string, VoicemailCall>();
  #port = 0;

  private constructor(opts: VoicemailOptions) {
    this.#o = opts;
    this.mailboxes = opts.mailboxes;
    this.#prompts = opts.prompts ?? new Prompts();
    this.#stack = new SipStack(this, {
      listen: [{ transport: "UDP", address: opts.address, port: opts.port ?? 0 }],
      ...(opts.logger !== undefined && { logger: opts.logger }),
    });
  }

  static async start(opts: VoicemailOptions): Promise<VoicemailService> {
    const service = new VoicemailService(opts);
    const bound = await service.#stack.start();
    service.#port = bound[0]?.port ?? 0;
    return service;
  }

  get port(): number {
    return this.#port;
  }

  /** Calls in progress. */
  get calls(): number {
    return this.#calls.size;
  }

  set onMailboxChanged(listener: (customerId: number, extension: string) => void) {
    this.#o.onMailboxChanged = listener;
  }

  /** The Request-URI and socket the proxy uses to bring a call to a mailbox. */
  target(kind: VoicemailKind, customerId: number, extension: string): VoicemailTarget {
    const host = this.#o.address.includes(":") ? `[${this.#o.address}]` : this.#o.address;
    return {
      contact: `sip:${kind}-${customerId}-${extension}@${host}:${this.#port};vmkey=${this.#key}`,
      target: { transport: "UDP", address: this.#o.address, port: this.#port },
    };
  }

  async close(): Promise<void> {
    for (const call of [...this.#calls.values()]) this.#hangUp(call, false);
    await this.#stack.close(0);
  }

  // ---------------------------------------------------------------- TransactionUser

  onRequest(req: SipRequest, tx: ServerTransactionLike | undefined): void {
    if (tx === undefined) return; // ACK: nothing waits for it
    const call = this.#calls.get(req.callId);
    switch (req.method) {
      case "INVITE":
        if (call !== undefined) {
          // A re-INVITE (hold, session refresh): the same answer again.
          tx.respond(this.#ok(req, call));
          return;
        }
        this.#invite(req, tx).catch((err: unknown) => {
          if (err instanceof VoicemailRefusal) {
            this.#o.logger?.info(
              { event: "voicemail-refused", callId: req.callId, status: err.status, reason: err.reason },
              "voicemail call refused",
            );
            tx.respond(createResponse(req, err.status, err.reason));
            return;
          }
          this.#o.logger?.error({ err, callId: req.callId }, "voicemail call failed");
          tx.respond(createResponse(req, 500, "Server Internal Error"));
        });
        return;
      case "BYE":
        if (call === undefined) {
          tx.respond(createResponse(req, 481, "Call/Transaction Does Not Exist"));
          return;
        }
        tx.respond(createResponse(req, 200, "OK"));
        this.#hangUp(call, false);
        return;
      case "OPTIONS":
        tx.respond(createResponse(req, 200, "OK", { headers: [["Allow", ALLOW]] }));
        return;
      case "CANCEL":
        // Calls are answered at once: by the time a CANCEL arrives there is nothing to stop.
        tx.respond(createResponse(req, 481, "Call/Transaction Does Not Exist"));
        return;
      default:
        tx.respond(createResponse(req, 405, "Method Not Allowed", { headers: [["Allow", ALLOW]] }));
    }
  }

  onStrayResponse(): void {}

  // ---------------------------------------------------------------- calls

  async #invite(req: SipRequest, tx: ServerTransactionLike): Promise<void> {
    const { kind, customerId, extension } = this.#mailboxOf(req);
    const choice = chooseMedia(req.body.toString("latin1"));
    if (kind === "deposit") {
      const { newMessages, oldMessages } = await this.mailboxes.counts(customerId, extension);
      if (newMessages + oldMessages >= this.#maxMessages()) {
        this.#o.logger?.warn(
          { event: "voicemail-full", callId: req.callId, customerId, extension },
          "mailbox full: call refused",
        );
        throw new VoicemailRefusal(486, "Busy Here - Mailbox full");
      }
    }
    const remoteContact = req.contact[0]?.uri.raw;
    if (remoteContact === undefined) throw new VoicemailRefusal(400, "Bad Request - Missing Contact");
    const media = await MediaEndpoint.open(this.#o.address);
    const localTag = newTag();
    const call: VoicemailCall = {
      callId: req.callId,
      media,
      answer: answerSdp(this.#o.address, media.port, choice, randomInt(1, 2 ** 31)),
      local: `${req.get("to") ?? ""};tag=${localTag}`,
      remote: req.get("from") ?? "",
      remoteContact,
      routeSet: req.getAll("record-route").flatMap((v) => splitList(v, false)),
      cseq: 0,
      ended: false,
      limit: setTimeout(() => this.#hangUp(call, true), this.#o.maxCallMs ?? 15 * 60_000),
    };
    call.limit.unref();
    this.#calls.set(req.callId, call);
    tx.respond(this.#ok(req, call, localTag));
    media.start(choice);
    this.#o.logger?.info(
      { event: "voicemail-call", callId: req.callId, kind, customerId, extension },
      "voicemail answered",
    );
    const ctx: FlowContext = {
      media,
      mailboxes: this.mailboxes,
      prompts: this.#prompts,
      customerId,
      extension,
      caller: req.from.uri.raw,
      callId: req.callId,
      maxRecordSeconds: this.#o.maxRecordSeconds ?? 120,
      keyTimeoutMs: this.#o.keyTimeoutMs ?? 5000,
      changed: () => this.#o.onMailboxChanged?.(customerId, extension),
      ...(this.#o.logger !== undefined && { logger: this.#o.logger }),
    };
    try {
      await (kind === "deposit" ? depositFlow(ctx) : retrieveFlow(ctx));
    } finally {
      // The menu is done (or the caller left): we hang up if the caller has not.
      this.#hangUp(call, true);
    }
  }

  #mailboxOf(req: SipRequest): { kind: VoicemailKind; customerId: number; extension: string } {
    const uri = req.uri;
    if (uri.scheme !== "sip") throw new VoicemailRefusal(404, "Not Found");
    const u = uri as SipUri;
    const key = u.params.get("vmkey");
    if (typeof key !== "string" || !sameKey(key, this.#key)) throw new VoicemailRefusal(404, "Not Found");
    const m = /^(deposit|retrieve)-(\d+)-([0-9A-Za-z_.-]{1,32})$/.exec(u.user ?? "");
    if (m === null) throw new VoicemailRefusal(404, "Not Found");
    return { kind: m[1] as VoicemailKind, customerId: Number(m[2]), extension: m[3] as string };
  }

  #maxMessages(): number {
    return this.mailboxes.maxMessages;
  }

  #ok(req: SipRequest, call: VoicemailCall, toTag?: string) {
    const host = this.#o.address.includes(":") ? `[${this.#o.address}]` : this.#o.address;
    return createResponse(req, 200, "OK", {
      ...(toTag !== undefined && { toTag }),
      headers: [
        // RFC 3261 §12.1.1: the 2xx copies the INVITE's Record-Route, so the caller's BYE (and
        // any re-INVITE) goes back through the proxy, which closes the call record.
        ...req.getAll("record-route").map((v): [string, string] => ["Record-Route", v]),
        ["Contact", `<sip:voicemail@${host}:${this.#port}>`],
        ["Allow", ALLOW],
      ],
      body: call.answer,
      contentType: "application/sdp",
    });
  }

  /** Ends a call: media closed, and a BYE to the caller when we are the one hanging up. */
  #hangUp(call: VoicemailCall, sendBye: boolean): void {
    if (call.ended) return;
    call.ended = true;
    clearTimeout(call.limit);
    call.media.close();
    this.#calls.delete(call.callId);
    if (sendBye) this.#bye(call);
  }

  /** BYE written as bytes along the route set the proxy recorded (RFC 3261 §12.2.1.1). */
  #bye(call: VoicemailCall): void {
    const first = call.routeSet[0];
    const next = parseUri(first === undefined ? call.remoteContact : stripAngle(first)) as SipUri;
    const target: TransactionTarget = {
      transport: (next.params.get("transport") ?? "udp").toString().toUpperCase(),
      address: next.host.startsWith("[") ? next.host.slice(1, -1) : next.host,
      port: next.port ?? 5060,
    };
    const host = this.#o.address.includes(":") ? `[${this.#o.address}]` : this.#o.address;
    let head =
      `BYE ${call.remoteContact} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP ${host}:${this.#port};branch=${newBranch()};rport\r\n` +
      "Max-Forwards: 70\r\n" +
      `From: ${call.local}\r\nTo: ${call.remote}\r\nCall-ID: ${call.callId}\r\n` +
      `CSeq: ${++call.cseq} BYE\r\n`;
    for (const r of call.routeSet) head += `Route: ${r}\r\n`;
    head += "User-Agent: centrex-voicemail\r\nContent-Length: 0\r\n\r\n";
    const ignore: ClientTransactionDelegate = { onResponse() {}, onTimeout() {}, onTransportError() {} };
    try {
      this.#stack.transactions.sendRequest(
        parseMessage(Buffer.from(head, "utf8")) as SipRequest,
        target,
        ignore,
      );
    } catch (err) {
      this.#o.logger?.debug({ err, callId: call.callId }, "voicemail BYE not sent");
    }
  }
}

function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function stripAngle(nameAddr: string): string {
  const lt = nameAddr.indexOf("<");
  const gt = nameAddr.indexOf(">");
  return lt >= 0 && gt > lt ? nameAddr.slice(lt + 1, gt) : nameAddr.trim();
}
