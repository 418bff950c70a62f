import { createHash, randomBytes } from "node:crypto";
import * as assert from "uvu/assert";
import { passwordOf } from "./passwords.js";
import {
  digestAnswer,
  newRawBranch,
  type RawRequest,
  type RawResponse,
  RawSipClient,
  rawOffer,
  rawRequest,
} from "./raw-sip.js";

/**
 * A desk phone reduced to what the end-to-end tests of call features need, on one UDP socket:
 * REGISTER and INVITE answering a digest challenge, answers to what it receives, requests
 * inside its dialogs along the Record-Route. The tests that need things no SIPp script or
 * baresip 1.0 does (a second call arriving on the socket of a call being dialled, a REFER with
 * an embedded Replaces, an in-dialog request answered with other credentials) use it; each
 * test file adds the few steps of its own on top.
 */

/** The values of every header `name` (lower case) of a message's head, in order. */
export function header(text: string, name: string): string[] {
  return text
    .split("\r\n\r\n")[0]!
    .split("\r\n")
    .slice(1)
    .filter((l) => l.slice(0, l.indexOf(":")).trim().toLowerCase() === name)
    .map((l) => l.slice(l.indexOf(":") + 1).trim());
}

export const tagOf = (v: string | undefined): string | undefined => v?.match(/;\s*tag=([^;\s>]+)/)?.[1];
export const uriOf = (v: string | undefined): string => v?.match(/<([^>]+)>/)?.[1] ?? v ?? "";

/** One side of a dialog as the phone keeps it. */
export interface Dialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our From/To value without its tag. */
  local: string;
  remote: string;
  remoteTarget: string;
  route: string[];
  cseq: number;
}

export interface RawPhoneOptions {
  /** The switch's SIP port on 127.0.0.1. */
  readonly switchPort: number;
  readonly domain: string;
  /** The RTP port its offers name; its answers name this + 2 (nothing listens: SDP only). */
  readonly rtpPort?: number;
}

/** A request sent and its outcome after at most one digest challenge. */
export interface Sent {
  readonly res: RawResponse;
  readonly cseq: number;
  readonly branch: string;
}

export class RawPhone {
  #seen = 0;
  readonly domain: string;
  /** The RTP port its offers name; its answers name this + 2. */
  readonly rtpPort: number;

  protected constructor(
    readonly ext: string,
    readonly c: RawSipClient,
    o: RawPhoneOptions,
  ) {
    this.domain = o.domain;
    this.rtpPort = o.rtpPort ?? 40_000;
  }

  /** Opens the phone's socket (the caller closes it with `close()`). */
  static async open(ext: string, o: RawPhoneOptions): Promise<RawPhone> {
    return new RawPhone(ext, await RawPhone.socket(o), o);
  }

  protected static socket(o: RawPhoneOptions): Promise<RawSipClient> {
    return new RawSipClient({ address: "127.0.0.1", port: o.switchPort }).open();
  }

  close(): void {
    this.c.close();
  }

  get aor(): string {
    return `<sip:${this.ext}@${this.domain}>`;
  }

  get contact(): string {
    return `<sip:${this.ext}@127.0.0.1:${this.c.port}>`;
  }

  /**
   * Sends a request and answers one digest challenge (401 or 407) with the extension's password;
   * resolves with the first response of at least `min` to the request after the challenge.
   */
  async send(r: Omit<RawRequest, "branch">, min = 200): Promise<Sent> {
    const branch = newRawBranch();
    this.c.send(rawRequest(this.c, { ...r, branch }));
    const first = await this.c.next(r.callId, `${r.cseq} ${r.method}`);
    if (first.status !== 401 && first.status !== 407) return { res: first, cseq: r.cseq, branch };
    if (r.method === "INVITE") this.ack(r.callId, r.cseq, r.from, first, r.uri);
    const name = first.status === 401 ? "Authorization" : "Proxy-Authorization";
    const challenge = first.header(first.status === 401 ? "www-authenticate" : "proxy-authenticate") ?? "";
    const auth = digestAnswer(challenge, {
      method: r.method,
      uri: r.uri,
      username: this.ext,
      password: passwordOf(this.ext),
    });
    const again = {
      ...r,
      cseq: r.cseq + 1,
      branch: newRawBranch(),
      headers: [...(r.headers ?? []), `${name}: ${auth}`],
    };
    this.c.send(rawRequest(this.c, again));
    return {
      res: await this.c.next(r.callId, `${again.cseq} ${r.method}`, min, 8000),
      cseq: again.cseq,
      branch: again.branch,
    };
  }

  /** The ACK of a final non-2xx answer to an INVITE (same branch as the INVITE, RFC 3261 §17.1.1.3). */
  ack(callId: string, cseq: number, from: string, res: RawResponse, uri: string): void {
    this.c.send(
      rawRequest(this.c, { method: "ACK", uri, from, to: res.header("to") ?? "", callId, cseq }).replace(
        /^Via: .*$/m,
        `Via: ${res.header("via")}`,
      ),
    );
  }

  /** REGISTER (`expires` 0 with `Contact: *` leaves: the next test's calls do not ring a closed socket). */
  async register(expires = 300): Promise<void> {
    const { res } = await this.send({
      method: "REGISTER",
      uri: `sip:${this.domain}`,
      from: `${this.aor};tag=${randomBytes(4).toString("hex")}`,
      to: this.aor,
      callId: `reg-${this.ext}-${this.c.port}`,
      cseq: expires === 0 ? 10 : 1,
      headers: [`Contact: ${expires === 0 ? "*" : this.contact}`, `Expires: ${expires}`],
    });
    assert.is(res.status, 200, `${this.ext} REGISTER: ${res.text}`);
  }

  /** Calls `target` (extra INVITE headers allowed); resolves with the dialog once the 200 is ACKed. */
  async call(target: string, headers: string[] = []): Promise<Dialog> {
    const localTag = randomBytes(4).toString("hex");
    const callId = `${this.ext}-${randomBytes(6).toString("hex")}`;
    const uri = `sip:${target}@${this.domain}`;
    const { res, cseq } = await this.send({
      method: "INVITE",
      uri,
      from: `${this.aor};tag=${localTag}`,
      to: `<${uri}>`,
      callId,
      cseq: 1,
      headers: [`Contact: ${this.contact}`, ...headers],
      body: rawOffer("127.0.0.1", this.rtpPort),
    });
    assert.is(res.status, 200, `${this.ext} → ${target}: ${res.text}`);
    const d: Dialog = {
      callId,
      localTag,
      remoteTag: res.toTag ?? "",
      local: this.aor,
      remote: `<${uri}>`,
      remoteTarget: uriOf(res.header("contact")),
      route: res.headers("record-route").reverse(),
      cseq,
    };
    this.c.send(this.#inDialog(d, "ACK", cseq));
    return d;
  }

  #inDialog(
    d: Dialog,
    method: string,
    cseq: number,
    headers: string[] = [],
    body?: { type: string; text: string },
  ): string {
    return rawRequest(this.c, {
      method,
      uri: d.remoteTarget,
      from: `${d.local};tag=${d.localTag}`,
      to: `${d.remote};tag=${d.remoteTag}`,
      callId: d.callId,
      cseq,
      headers: [...d.route.map((r) => `Route: ${r}`), `Contact: ${this.contact}`, ...headers],
      ...(body !== undefined && { body: body.text, contentType: body.type }),
    });
  }

  /** An in-dialog request with a body (a NOTIFY's sipfrag); resolves with its final response. */
  async requestWithBody(d: Dialog, method: string, headers: string[], type: string, text: string) {
    d.cseq += 1;
    this.c.send(this.#inDialog(d, method, d.cseq, headers, { type, text }));
    return this.c.next(d.callId, `${d.cseq} ${method}`, 200, 8000);
  }

  /**
   * An in-dialog request; resolves with its final response. A 407 (the switch challenges REFER)
   * is answered once with `as`'s credentials (default: this phone's), as a desk phone does.
   */
  async request(
    d: Dialog,
    method: string,
    headers: string[] = [],
    as: { username: string; password: string } | null = {
      username: this.ext,
      password: passwordOf(this.ext),
    },
  ): Promise<RawResponse> {
    d.cseq += 1;
    this.c.send(this.#inDialog(d, method, d.cseq, headers));
    const res = await this.c.next(d.callId, `${d.cseq} ${method}`, 200, 8000);
    if (res.status !== 407 || as === null) return res;
    const auth = digestAnswer(res.header("proxy-authenticate") ?? "", { method, uri: d.remoteTarget, ...as });
    d.cseq += 1;
    this.c.send(this.#inDialog(d, method, d.cseq, [...headers, `Proxy-Authorization: ${auth}`]));
    return this.c.next(d.callId, `${d.cseq} ${method}`, 200, 8000);
  }

  /** The next request of `method` this phone received (not already taken). */
  async received(method: string, ms = 8000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.c.requests.findIndex((r, n) => n >= this.#seen && r.startsWith(`${method} `));
      if (i >= 0) {
        this.#seen = i + 1;
        return this.c.requests[i]!;
      }
      if (Date.now() > end) throw new Error(`${this.ext}: no ${method} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Answers a request; a 2xx to an INVITE (with an SDP answer) becomes the phone's side of a dialog. */
  answer(req: string, status: number, reason: string): Dialog {
    // One tag per request answered (its provisional and final responses carry the same).
    const localTag =
      tagOf(header(req, "to")[0]) ??
      createHash("sha1")
        .update(header(req, "via")[0] ?? "")
        .digest("hex")
        .slice(0, 8);
    const to = header(req, "to")[0] ?? "";
    const isInvite = req.startsWith("INVITE ");
    const sdp = isInvite && status === 200 ? rawOffer("127.0.0.1", this.rtpPort + 2) : "";
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...header(req, "via").map((v) => `Via: ${v}`),
      ...(isInvite ? header(req, "record-route").map((v) => `Record-Route: ${v}`) : []),
      `From: ${header(req, "from")[0]}`,
      `To: ${tagOf(to) === undefined ? `${to};tag=${localTag}` : to}`,
      `Call-ID: ${header(req, "call-id")[0]}`,
      `CSeq: ${header(req, "cseq")[0]}`,
      `Contact: ${this.contact}`,
      ...(sdp ? ["Content-Type: application/sdp"] : []),
      `Content-Length: ${Buffer.byteLength(sdp)}`,
      "",
      sdp,
    ];
    this.c.send(lines.join("\r\n"));
    const from = header(req, "from")[0] ?? "";
    return {
      callId: header(req, "call-id")[0] ?? "",
      localTag,
      remoteTag: tagOf(from) ?? "",
      local: to.replace(/;\s*tag=[^;\s]+/, ""),
      remote: from.replace(/;\s*tag=[^;\s]+/, ""),
      remoteTarget: uriOf(header(req, "contact")[0]),
      route: header(req, "record-route"),
      cseq: 100,
    };
  }
}
