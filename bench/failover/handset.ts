// One simulated desk phone: registers with digest (MD5, qop=auth) by a DNS name, refreshes, and on a
// failure keeps trying, re-resolving the name once the cached answer's TTL has run out.
import { randomBytes } from "node:crypto";
import type { Socket } from "node:dgram";
import type { Resolver } from "node:dns/promises";
import { computeHA1, computeResponse } from "@centrex/sip";

export type Mode = "a" | "srv";

export interface HandsetOptions {
  ext: string;
  password: string;
  domain: string;
  service: string;
  sipPort: number;
  mode: Mode;
  expires: number;
  refreshMs: number;
  /** No answer to a REGISTER within this → the attempt failed. */
  timeoutMs: number;
  retryMs: number;
  socket: Socket;
  localPort: number;
  resolver: Resolver;
  /** Called on every response: counters and timings live in the driver. */
  events: HandsetEvents;
}

export interface HandsetEvents {
  sent(h: Handset, address: string): void;
  response(h: Handset, status: number, from: string): void;
  failed(h: Handset, why: "timeout" | "status" | "dns", address: string | undefined): void;
  registered(h: Handset, from: string): void;
}

interface Target {
  address: string;
  port: number;
}

interface Cached<T> {
  value: T;
  expiresAt: number;
}

/** Call-ID → handset, for phones that share one UDP socket. */
export const byCallId = new Map<string, Handset>();

export class Handset {
  readonly o: HandsetOptions;
  readonly callId: string;
  #tag = randomBytes(4).toString("hex");
  #cnonce = randomBytes(8).toString("hex");
  #ha1 = "";
  #realm = "";
  #nonce = "";
  #nc = 0;
  #cseq = 0;
  /** Challenges answered in the current attempt (a second one means the credentials are refused). */
  #challenges = 0;
  #timer: NodeJS.Timeout | undefined;
  #a: Cached<string> | undefined;
  #srv: Cached<Target[]> | undefined;
  #srvIndex = 0;
  #target: Target | undefined;
  #stopped = false;
  registeredAt = 0;

  constructor(o: HandsetOptions) {
    this.o = o;
    this.callId = `${o.ext}-${randomBytes(6).toString("hex")}@bench.invalid`;
    byCallId.set(this.callId, this);
  }

  start(delayMs: number): void {
    this.#schedule(delayMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    byCallId.delete(this.callId);
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#attempt(), ms);
  }

  async #attempt(): Promise<void> {
    this.#challenges = 0;
    try {
      this.#target = await this.#resolve();
    } catch {
      this.o.events.failed(this, "dns", undefined);
      this.#schedule(this.o.retryMs);
      return;
    }
    this.#send();
  }

  /** The A record (cached for its TTL), or the SRV targets in priority order, sticking to the working one. */
  async #resolve(): Promise<Target> {
    const now = Date.now();
    if (this.o.mode === "a") {
      if (this.#a === undefined || now >= this.#a.expiresAt) {
        const [rec] = await this.o.resolver.resolve4(this.o.service, { ttl: true });
        if (rec === undefined) throw new Error("no A record");
        this.#a = { value: rec.address, expiresAt: now + rec.ttl * 1000 };
      }
      return { address: this.#a.value, port: this.o.sipPort };
    }
    if (this.#srv === undefined || now >= this.#srv.expiresAt) {
      const srv = await this.o.resolver.resolveSrv(`_sip._udp.${this.o.service}`);
      srv.sort((x, y) => x.priority - y.priority);
      const targets: Target[] = [];
      let ttl = Number.POSITIVE_INFINITY;
      for (const s of srv) {
        // resolveSrv gives no TTL: the set is cached for the shortest TTL of its targets' A records.
        const [rec] = await this.o.resolver.resolve4(s.name, { ttl: true });
        if (rec === undefined) continue;
        ttl = Math.min(ttl, rec.ttl);
        targets.push({ address: rec.address, port: s.port });
      }
      if (targets.length === 0) throw new Error("no SRV target");
      const current = this.#target;
      const keep = current ? targets.findIndex((t) => t.address === current.address) : -1;
      this.#srvIndex = Math.max(keep, 0);
      this.#srv = { value: targets, expiresAt: now + ttl * 1000 };
    }
    const list = this.#srv.value;
    return list[this.#srvIndex % list.length] as Target;
  }

  #send(): void {
    const t = this.#target;
    if (t === undefined || this.#stopped) return;
    const o = this.o;
    this.#cseq++;
    const uri = `sip:${o.domain}`;
    const lines = [
      `REGISTER ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${o.localPort};branch=z9hG4bK-${this.#tag}-${this.#cseq};rport`,
      "Max-Forwards: 70",
      `From: <sip:${o.ext}@${o.domain}>;tag=${this.#tag}`,
      `To: <sip:${o.ext}@${o.domain}>`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.#cseq} REGISTER`,
      `Contact: <sip:${o.ext}@127.0.0.1:${o.localPort}>`,
      `Expires: ${o.expires}`,
    ];
    if (this.#nonce !== "") {
      this.#nc++;
      const nc = this.#nc.toString(16).padStart(8, "0");
      const response = computeResponse({
        ha1: this.#ha1,
        method: "REGISTER",
        uri,
        nonce: this.#nonce,
        nc,
        cnonce: this.#cnonce,
        qop: "auth",
        algorithm: "MD5",
      });
      lines.push(
        `Authorization: Digest username="${o.ext}", realm="${this.#realm}", nonce="${this.#nonce}", ` +
          `uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${this.#cnonce}"`,
      );
    }
    lines.push("Content-Length: 0", "", "");
    o.socket.send(lines.join("\r\n"), t.port, t.address);
    o.events.sent(this, t.address);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#fail("timeout", t.address), o.timeoutMs);
  }

  #fail(why: "timeout" | "status", address: string): void {
    this.o.events.failed(this, why, address);
    if (this.o.mode === "srv") {
      this.#srvIndex++;
      // No answer: straight on to the next target; a refusal (503 from a standby): pause first.
      this.#schedule(why === "timeout" ? 0 : this.o.retryMs);
      return;
    }
    this.#schedule(this.o.retryMs);
  }

  /** A response to this phone's REGISTER (`text` is the whole datagram). */
  onResponse(text: string, from: string): void {
    if (this.#stopped) return;
    const cseq = /\r\nCSeq:\s*(\d+)/i.exec(text);
    if (cseq === null || Number(cseq[1]) !== this.#cseq) return; // late answer to an earlier attempt
    const status = Number(text.slice(8, 11));
    if (status < 200) return;
    clearTimeout(this.#timer);
    this.o.events.response(this, status, from);
    if (status === 401 && this.#challenges < 2) {
      const ch = /\r\nWWW-Authenticate:\s*Digest\s+([^\r\n]*)/i.exec(text)?.[1] ?? "";
      const nonce = /nonce="([^"]*)"/i.exec(ch)?.[1];
      const realm = /realm="([^"]*)"/i.exec(ch)?.[1];
      if (nonce !== undefined && realm !== undefined) {
        this.#challenges++;
        if (realm !== this.#realm || this.#ha1 === "") {
          this.#realm = realm;
          this.#ha1 = computeHA1(this.o.ext, realm, this.o.password, "MD5");
        }
        this.#nonce = nonce;
        this.#nc = 0;
        this.#send();
        return;
      }
    }
    if (status === 200) {
      this.registeredAt = Date.now();
      this.o.events.registered(this, from);
      this.#schedule(this.o.refreshMs);
      return;
    }
    this.#fail("status", from);
  }
}
