import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createErrorResponse, parseMessage, type SipMessage, SipParseError } from "../src/message/index.js";

const ITERATIONS = 100_000;
const SEED = 0x5eed_4475;

/** mulberry32: a tiny deterministic PRNG, so a failure reproduces from the seed and index. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join("\r\n"), "utf8");
const SDP =
  "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";

const REALISTIC: Buffer[] = [
  crlf([
    "INVITE sip:+33123456789@127.0.0.1;user=phone SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-524287-1---a1b2c3;rport",
    "Max-Forwards: 70",
    "Route: <sip:127.0.0.2;lr>",
    "Contact: <sip:201@127.0.0.1:5062;transport=udp>",
    'To: "Bob" <sip:+33123456789@127.0.0.1;user=phone>',
    'From: "Alice" <sip:201@127.0.0.1>;tag=4a8e1f3c',
    "Call-ID: 8f3a2b1c9d8e7f6a@127.0.0.1",
    "CSeq: 2 INVITE",
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, UPDATE",
    "Supported: replaces, timer",
    'Proxy-Authorization: Digest username="201",realm="centrex",nonce="a,b",uri="sip:x@127.0.0.1",response="0f",algorithm=MD5',
    "Content-Type: application/sdp",
    "User-Agent: Yealink SIP-T46S 66.86.0.15",
    `Content-Length: ${SDP.length}`,
    "",
    SDP,
  ]),
  crlf([
    "REGISTER sip:127.0.0.1 SIP/2.0",
    "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKreg1;rport",
    "From: <sip:201@127.0.0.1>;tag=reg1",
    "To: <sip:201@127.0.0.1>",
    "Call-ID: reg-call-1@127.0.0.1",
    "CSeq: 7 REGISTER",
    'Contact: <sip:201@127.0.0.1:5070;transport=tcp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000000000001>";expires=3600',
    "Max-Forwards: 70",
    "Expires: 3600",
    'Authorization: Digest username="201", realm="centrex", nonce="n", uri="sip:127.0.0.1", response="r", qop=auth, nc=00000001, cnonce="c"',
    "Content-Length: 0",
    "",
    "",
  ]),
  crlf([
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKproxy, SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-a;rport=5062;received=127.0.0.1",
    "Record-Route: <sip:127.0.0.2;lr>",
    'From: "Alice" <sip:201@127.0.0.1>;tag=4a8e1f3c',
    "To: <sip:202@127.0.0.1>;tag=9z8y7x",
    "Call-ID: 8f3a2b1c9d8e7f6a@127.0.0.1",
    "CSeq: 2 INVITE",
    "Contact: <sip:202@127.0.0.1:5064>",
    "Content-Type: application/sdp",
    `Content-Length: ${SDP.length}`,
    "",
    SDP,
  ]),
  crlf([
    "BYE sip:202@127.0.0.1:5064 SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKbye1;rport",
    "Max-Forwards: 70",
    "Route: <sip:127.0.0.2;lr>",
    "From: <sip:201@127.0.0.1>;tag=4a8e1f3c",
    "To: <sip:202@127.0.0.1>;tag=9z8y7x",
    "Call-ID: 8f3a2b1c9d8e7f6a@127.0.0.1",
    "CSeq: 3 BYE",
    "Content-Length: 0",
    "",
    "",
  ]),
];

const DIR = join(import.meta.dirname, "fixtures", "rfc4475");
const CORPUS: Buffer[] = [
  ...REALISTIC,
  ...readdirSync(DIR)
    .filter((f) => f.endsWith(".dat"))
    .sort()
    .map((f) => readFileSync(join(DIR, f))),
];

const SPECIAL = Buffer.from('\r\n \t;,:="<>@%?&\\/0123456789.*[]\x00\xff');

function mutate(src: Buffer, rnd: () => number): Buffer {
  const pick = (n: number): number => Math.floor(rnd() * n);
  let b = Buffer.from(src);
  const rounds = 1 + pick(3);
  for (let k = 0; k < rounds; k++) {
    switch (pick(8)) {
      case 0: {
        // bit flips
        const flips = 1 + pick(4);
        for (let i = 0; i < flips && b.length > 0; i++) {
          const j = pick(b.length);
          b[j] = (b[j] as number) ^ (1 << pick(8));
        }
        break;
      }
      case 1:
        b = b.subarray(0, pick(b.length + 1));
        break;
      case 2: {
        // duplicate a header line
        const lines = b.toString("latin1").split("\r\n");
        const i = 1 + pick(Math.max(1, lines.length - 1));
        lines.splice(i, 0, lines[i] ?? "");
        b = Buffer.from(lines.join("\r\n"), "latin1");
        break;
      }
      case 3: {
        // huge value: digits, letters or separators, inserted at a random offset
        const at = pick(b.length + 1);
        const fill = ["9", "a", ";", ",", " ", "%", "\\"][pick(7)] as string;
        b = Buffer.concat([b.subarray(0, at), Buffer.from(fill.repeat(1 + pick(4000))), b.subarray(at)]);
        break;
      }
      case 4: {
        // random byte insertion
        const at = pick(b.length + 1);
        const n = 1 + pick(8);
        const ins = Buffer.alloc(n);
        for (let i = 0; i < n; i++)
          ins[i] = rnd() < 0.6 ? (SPECIAL[pick(SPECIAL.length)] as number) : pick(256);
        b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
        break;
      }
      case 5: {
        // delete a range
        const at = pick(b.length + 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + pick(16)))]);
        break;
      }
      case 6: {
        // overwrite a byte with a separator
        if (b.length > 0) b[pick(b.length)] = SPECIAL[pick(SPECIAL.length)] as number;
        break;
      }
      default: {
        // splice in a line from another corpus message
        const other = (CORPUS[pick(CORPUS.length)] as Buffer).toString("latin1").split("\r\n");
        const lines = b.toString("latin1").split("\r\n");
        lines.splice(1 + pick(Math.max(1, lines.length - 1)), 0, other[pick(other.length)] ?? "");
        b = Buffer.from(lines.join("\r\n"), "latin1");
      }
    }
  }
  return b;
}

/** Run `fn`; a SipParseError is an allowed outcome, anything else is a bug. */
function allowParseError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
  }
}

function touchEverything(m: SipMessage): void {
  allowParseError(() => m.via.map((v) => [v.branch, v.host, v.port, v.rport, v.received]));
  allowParseError(() => m.from.params.get("tag"));
  allowParseError(() => m.to.uri.raw);
  allowParseError(() => m.callId);
  allowParseError(() => m.cseq.seq);
  allowParseError(() => m.contact.map((c) => c.uri.scheme));
  allowParseError(() => m.contactStar);
  allowParseError(() => m.maxForwards);
  allowParseError(() => m.contentLength);
  allowParseError(() => m.contentType);
  allowParseError(() => m.expires);
  allowParseError(() => m.route.map((r) => r.uri));
  allowParseError(() => m.recordRoute.length);
  allowParseError(() => m.validate());
  for (const name of [
    "allow",
    "supported",
    "require",
    "path",
    "p-asserted-identity",
    "privacy",
    "authorization",
    "www-authenticate",
    "x-unknown",
    "k",
    "v",
  ]) {
    allowParseError(() => m.getAll(name));
    allowParseError(() => m.get(name));
  }
  void m.body.length;
  const out = m.toBuffer();
  // What we parsed and serialize back must parse again (bugs here would forward garbage).
  parseMessage(out);
  allowParseError(() => {
    m.prepend("Via", "SIP/2.0/UDP 127.0.0.9;branch=z9hG4bKfuzz");
    m.removeFirst("Route");
    m.set("Max-Forwards", "10");
    parseMessage(m.toBuffer());
  });
}

test(`${ITERATIONS} mutated messages parse or throw SipParseError`, () => {
  const rnd = prng(SEED);
  const started = Date.now();
  let parsed = 0;
  let rejected = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const src = CORPUS[Math.floor(rnd() * CORPUS.length)] as Buffer;
    const data = mutate(src, rnd);
    let m: SipMessage | undefined;
    try {
      m = parseMessage(data);
    } catch (err) {
      if (!(err instanceof SipParseError)) {
        throw new Error(`iteration ${i}: ${String(err)}\n${data.toString("latin1").slice(0, 400)}`);
      }
      rejected++;
      createErrorResponse(data, err);
      continue;
    }
    parsed++;
    try {
      touchEverything(m);
    } catch (err) {
      throw new Error(`iteration ${i}: ${String(err)}\n${data.toString("latin1").slice(0, 400)}`);
    }
  }
  const ms = Date.now() - started;
  console.log(`fuzz: ${parsed} parsed, ${rejected} rejected in ${ms} ms`);
  assert.is(parsed + rejected, ITERATIONS);
  // Both outcomes must be well represented, or the mutator is not exercising the parser.
  assert.ok(parsed > ITERATIONS / 10);
  assert.ok(rejected > ITERATIONS / 10);
});

test.run();
