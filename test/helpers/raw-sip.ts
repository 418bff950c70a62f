import { createHash, randomBytes } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";

/** A SIP response as received: status, the raw text and its headers by lower-case name. */
export interface RawResponse {
  readonly status: number;
  readonly text: string;
  header(name: string): string | undefined;
  headers(name: string): string[];
  /** The To tag, undefined when To has none. */
  readonly toTag: string | undefined;
}

export function parseRawResponse(text: string): RawResponse {
  const head = text.split("\r\n\r\n")[0] ?? "";
  const lines = head.split("\r\n");
  const status = Number(lines[0]?.split(" ")[1]);
  const all = lines.slice(1).map((l) => {
    const i = l.indexOf(":");
    return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as const;
  });
  const headers = (name: string) => all.filter(([n]) => n === name).map(([, v]) => v);
  const to = headers("to")[0] ?? "";
  const params = to.slice(to.lastIndexOf(">") + 1);
  return {
    status,
    text,
    header: (name) => headers(name)[0],
    headers,
    toTag: params.match(/;\s*tag=([^;\s]+)/i)?.[1],
  };
}

/**
 * A hand-written SIP user agent on one UDP socket, for tests that must control every byte a
 * phone sends (retransmissions, missing headers) and see every byte the switch answers.
 */
export class RawSipClient {
  readonly #sock: Socket;
  readonly #received: RawResponse[] = [];
  readonly #waiters = new Set<() => void>();
  readonly requests: string[] = [];
  port = 0;

  constructor(
    readonly server: { address: string; port: number },
    readonly address = "127.0.0.1",
  ) {
    this.#sock = createSocket("udp4");
    this.#sock.on("message", (m) => {
      const text = m.toString("latin1");
      if (text.startsWith("SIP/2.0 ")) this.#received.push(parseRawResponse(text));
      else this.requests.push(text);
      for (const w of this.#waiters) w();
    });
  }

  async open(): Promise<this> {
    await new Promise<void>((r) => this.#sock.bind(0, this.address, () => r()));
    this.port = this.#sock.address().port;
    return this;
  }

  close(): void {
    this.#sock.close();
  }

  send(text: string): void {
    this.#sock.send(Buffer.from(text, "latin1"), this.server.port, this.server.address);
  }

  /**
   * The next response for `callId` and CSeq `cseq` (e.g. "2 INVITE") with a status in
   * `[min, 699]` that was not already taken; rejects after `ms`.
   */
  next(callId: string, cseq: string, min = 101, ms = 5000): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const i = this.#received.findIndex(
          (r) => r.header("call-id") === callId && r.header("cseq") === cseq && r.status >= min,
        );
        if (i < 0) return false;
        const [r] = this.#received.splice(i, 1);
        finish();
        resolve(r as RawResponse);
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no response (>= ${min}) to ${cseq} of ${callId} within ${ms} ms`));
      }, ms);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter = () => void check();
      this.#waiters.add(waiter);
      check();
    });
  }

  /** Drops every response received so far (retransmissions nobody waits for). */
  flush(): void {
    this.#received.length = 0;
  }
}

export interface RawRequest {
  method: string;
  uri: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  branch?: string;
  headers?: string[];
  body?: string;
  /** The body's type; default application/sdp. */
  contentType?: string;
  maxForwards?: number;
}

/** The bytes of a request from `client` (Via to its socket, rport). */
export function rawRequest(client: RawSipClient, r: RawRequest): string {
  const body = r.body ?? "";
  return [
    `${r.method} ${r.uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${client.address}:${client.port};branch=${r.branch ?? newRawBranch()};rport`,
    `From: ${r.from}`,
    `To: ${r.to}`,
    `Call-ID: ${r.callId}`,
    `CSeq: ${r.cseq} ${r.method}`,
    `Max-Forwards: ${r.maxForwards ?? 70}`,
    ...(r.headers ?? []),
    ...(body.length > 0 ? [`Content-Type: ${r.contentType ?? "application/sdp"}`] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ].join("\r\n");
}

export function newRawBranch(): string {
  return `z9hG4bK-${randomBytes(6).toString("hex")}`;
}

function md5(s: string): string {
  return createHash("md5").update(s).digest("hex");
}

/**
 * The Authorization (or Proxy-Authorization) value answering an MD5 digest challenge
 * (RFC 2617 with qop=auth), as a phone computes it.
 */
export function digestAnswer(
  challenge: string,
  r: { method: string; uri: string; username: string; password: string },
): string {
  const param = (n: string) => challenge.match(new RegExp(`${n}="?([^",]+)"?`, "i"))?.[1] ?? "";
  const realm = param("realm");
  const nonce = param("nonce");
  const cnonce = randomBytes(4).toString("hex");
  const nc = "00000001";
  const ha1 = md5(`${r.username}:${realm}:${r.password}`);
  const ha2 = md5(`${r.method}:${r.uri}`);
  const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return (
    `Digest username="${r.username}", realm="${realm}", nonce="${nonce}", uri="${r.uri}", ` +
    `response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`
  );
}

/** A minimal G.711 offer from `address`. */
export function rawOffer(address: string, port: number): string {
  return [
    "v=0",
    `o=- 1 1 IN IP4 ${address}`,
    "s=-",
    `c=IN IP4 ${address}`,
    "t=0 0",
    `m=audio ${port} RTP/AVP 0`,
    "a=rtpmap:0 PCMU/8000",
    "",
  ].join("\r\n");
}
