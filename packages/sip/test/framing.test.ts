import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  buildMinimalResponse,
  CONTENT_LENGTH_INVALID,
  CONTENT_LENGTH_MISSING,
  type FramerSink,
  type FramingError,
  readContentLength,
  StreamFramer,
} from "../src/transport/index.js";

/** Records what the framer emits, as comparable strings. */
class Recorder implements FramerSink {
  events: string[] = [];
  errors: FramingError[] = [];
  onFrame(message: Buffer): void {
    this.events.push(`frame:${message.toString("latin1")}`);
  }
  onPing(): void {
    this.events.push("ping");
  }
  onFramingError(error: FramingError): void {
    this.errors.push(error);
    this.events.push(`error:${error.status}:${error.reason}`);
  }
}

const sdp =
  "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
const invite =
  "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n" +
  "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1\r\n" +
  "From: <sip:alice@127.0.0.1>;tag=a\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n" +
  "Content-Type: application/sdp\r\n" +
  `Content-Length: ${Buffer.byteLength(sdp)}\r\n\r\n${sdp}`;
// Compact form, lower case, whitespace before the colon, and a body that itself contains CRLFCRLF.
const body2 = "hello\r\n\r\nworld";
const message2 =
  "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK2\r\n" +
  "Location: nowhere\r\n" +
  `l  : ${body2.length}\r\ni: c2\r\n\r\n${body2}`;
// Folded Content-Length value, odd case.
const body3 = "abc";
const message3 = `OPTIONS sip:127.0.0.1 SIP/2.0\r\nCall-ID: c3\r\nCONTENT-length:\r\n   ${body3.length}  \r\nMax-Forwards: 70\r\n\r\n${body3}`;
const response = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1\r\nContent-Length: 0\r\n\r\n";
const pingPong = "\r\n\r\n";

const stream = Buffer.from(
  `\r\n${invite}${pingPong}${message2}\r\n${message3}${pingPong}${pingPong}${response}\r\n${response}`,
  "latin1",
);
const expected = [
  `frame:${invite}`,
  "ping",
  `frame:${message2}`,
  `frame:${message3}`,
  "ping",
  "ping",
  `frame:${response}`,
  `frame:${response}`,
];

function runChunks(chunks: Buffer[], max?: number): Recorder {
  const rec = new Recorder();
  const framer = new StreamFramer(rec, max);
  for (const c of chunks) framer.push(c);
  return rec;
}

const framing = suite("StreamFramer");

framing("whole stream in one push", () => {
  assert.equal(runChunks([stream]).events, expected);
});

framing("split at every byte offset gives the same output", () => {
  for (let i = 0; i <= stream.length; i++) {
    const rec = runChunks([stream.subarray(0, i), stream.subarray(i)]);
    assert.equal(rec.events, expected, `split at ${i}`);
  }
});

framing("split in two places around every offset (sliding window of 7)", () => {
  for (let i = 0; i + 7 <= stream.length; i++) {
    const rec = runChunks([stream.subarray(0, i), stream.subarray(i, i + 7), stream.subarray(i + 7)]);
    assert.equal(rec.events, expected, `split at ${i}/${i + 7}`);
  }
});

framing("one byte at a time", () => {
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1));
  const rec = runChunks(chunks);
  assert.equal(rec.events, expected);
});

framing("pseudo-random chunk sizes", () => {
  let seed = 12345;
  for (let round = 0; round < 200; round++) {
    const chunks: Buffer[] = [];
    let at = 0;
    while (at < stream.length) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = 1 + (seed % 97);
      chunks.push(stream.subarray(at, at + n));
      at += n;
    }
    assert.equal(runChunks(chunks).events, expected);
  }
});

framing("nothing is held once all messages are out; partial data is held", () => {
  const rec = new Recorder();
  const framer = new StreamFramer(rec);
  framer.push(Buffer.from(response));
  assert.is(framer.buffered, 0);
  framer.push(Buffer.from(invite.slice(0, 50)));
  assert.is(framer.buffered, 50);
  assert.equal(rec.events, [`frame:${response}`]);
});

framing("ping split across pushes, bare CRLF ignored", () => {
  assert.equal(runChunks([Buffer.from("\r\n"), Buffer.from("\r\n")]).events, ["ping"]);
  assert.equal(runChunks([Buffer.from("\r\n"), Buffer.from(response)]).events, [`frame:${response}`]);
  assert.equal(runChunks([Buffer.from("\r\n\r"), Buffer.from("\n")]).events, ["ping"]);
});

framing("missing Content-Length is an error with the header block, and the framer is dead", () => {
  const rec = new Recorder();
  const framer = new StreamFramer(rec);
  const bad = "OPTIONS sip:127.0.0.1 SIP/2.0\r\nCall-ID: x\r\n\r\n";
  assert.is(framer.push(Buffer.from(response + bad)), false);
  assert.equal(rec.events, [`frame:${response}`, "error:400:Missing Content-Length"]);
  assert.is(rec.errors[0]!.fault, "missing-content-length");
  assert.is(rec.errors[0]!.head!.toString(), "OPTIONS sip:127.0.0.1 SIP/2.0\r\nCall-ID: x");
  assert.is(framer.push(Buffer.from(response)), false);
  assert.is(rec.events.length, 2);
});

framing("negative, non-numeric and conflicting Content-Length are errors", () => {
  for (const v of ["-1", "abc", "12a", "1 2", ""]) {
    const rec = runChunks([Buffer.from(`OPTIONS sip:x SIP/2.0\r\nContent-Length: ${v}\r\n\r\n`)]);
    assert.equal(rec.events, ["error:400:Bad Content-Length"], v);
  }
  const rec = runChunks([Buffer.from("OPTIONS sip:x SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab")]);
  assert.equal(rec.events, ["error:400:Bad Content-Length"]);
  const same = runChunks([Buffer.from("OPTIONS sip:x SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nab")]);
  assert.is(same.events.length, 1);
  assert.ok(same.events[0]!.startsWith("frame:"));
});

framing("oversize: endless headers, and a declared body beyond the limit", () => {
  const endless = Buffer.from(`OPTIONS sip:x SIP/2.0\r\nX: ${"a".repeat(300)}`);
  const r1 = runChunks([endless.subarray(0, 100), endless.subarray(100)], 256);
  assert.equal(r1.events, ["error:513:Message Too Large"]);
  assert.is(r1.errors[0]!.head, undefined);
  const r2 = runChunks([Buffer.from("OPTIONS sip:x SIP/2.0\r\nContent-Length: 1000\r\n\r\n")], 256);
  assert.equal(r2.events, ["error:513:Message Too Large"]);
  assert.ok(r2.errors[0]!.head);
  // Exactly at the limit is accepted.
  const exact = Buffer.from(`OPTIONS sip:x SIP/2.0\r\nContent-Length: 10\r\n\r\n${"b".repeat(10)}`);
  assert.is(runChunks([exact], exact.length).events.length, 1);
  assert.equal(runChunks([exact], exact.length - 1).events, ["error:513:Message Too Large"]);
});

const cl = suite("readContentLength");

function readCl(head: string): number {
  const b = Buffer.from(head, "latin1");
  return readContentLength(b, 0, b.length);
}

cl("forms, case and folding", () => {
  assert.is(readCl("A sip:x SIP/2.0\r\nContent-Length: 42\r\n"), 42);
  assert.is(readCl("A sip:x SIP/2.0\r\ncontent-LENGTH\t:\t7\r\n"), 7);
  assert.is(readCl("A sip:x SIP/2.0\r\nL:0\r\n"), 0);
  assert.is(readCl("A sip:x SIP/2.0\r\nContent-Length:\r\n 13\r\nX: y\r\n"), 13);
  assert.is(readCl("A sip:x SIP/2.0\r\nContent-Length: 13"), 13);
  assert.is(readCl("A sip:x SIP/2.0\r\nLocation: 5\r\nContent-Lengthy: 3\r\n"), CONTENT_LENGTH_MISSING);
  assert.is(readCl("A sip:x SIP/2.0\r\nX: y\r\n Content-Length: 3\r\n"), CONTENT_LENGTH_MISSING);
  assert.is(readCl("l: 5 SIP/2.0\r\n"), CONTENT_LENGTH_MISSING); // the start line is not a header
  assert.is(readCl("A sip:x SIP/2.0\r\nl: 99999999999\r\n"), CONTENT_LENGTH_INVALID);
  assert.is(readCl("A sip:x SIP/2.0\r\nl: +5\r\n"), CONTENT_LENGTH_INVALID);
});

const minimal = suite("buildMinimalResponse");

minimal("copies Via/From/To/Call-ID/CSeq, adds a To tag, Content-Length 0", () => {
  const head = Buffer.from(
    "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKa\r\n" +
      "v: SIP/2.0/TCP 127.0.0.1:5080\r\n ;branch=z9hG4bKb\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n" +
      "t: <sip:a@127.0.0.1>\r\ni: abc\r\nCSeq: 7 REGISTER\r\nUser-Agent: x\r\n",
  );
  const out = buildMinimalResponse(head, 400, "Missing Content-Length")!.toString();
  const lines = out.split("\r\n");
  assert.is(lines[0], "SIP/2.0 400 Missing Content-Length");
  assert.is(lines[1], "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKa");
  assert.is(lines[2], "v: SIP/2.0/TCP 127.0.0.1:5080 ;branch=z9hG4bKb");
  assert.is(lines[3], "From: <sip:a@127.0.0.1>;tag=1");
  assert.match(lines[4]!, /^t: <sip:a@127\.0\.0\.1>;tag=[0-9a-f]{12}$/);
  assert.is(lines[5], "i: abc");
  assert.is(lines[6], "CSeq: 7 REGISTER");
  assert.is(lines[7], "Content-Length: 0");
  assert.ok(out.endsWith("\r\n\r\n"));
  assert.not.match(out, /User-Agent/);
});

minimal("keeps an existing To tag; refuses ACK, responses and incomplete requests", () => {
  const base =
    "Via: SIP/2.0/TCP 127.0.0.1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 1 ";
  const ok = buildMinimalResponse(Buffer.from(`BYE sip:b@h SIP/2.0\r\n${base}BYE`), 400, "Bad")!.toString();
  assert.match(ok, /\r\nTo: <sip:b@h>;tag=2\r\n/);
  assert.is(buildMinimalResponse(Buffer.from(`ACK sip:b@h SIP/2.0\r\n${base}ACK`), 400, "Bad"), undefined);
  assert.is(buildMinimalResponse(Buffer.from(`SIP/2.0 200 OK\r\n${base}BYE`), 400, "Bad"), undefined);
  assert.is(buildMinimalResponse(Buffer.from("BYE sip:b@h SIP/2.0\r\nCall-ID: x"), 400, "Bad"), undefined);
});

framing.run();
cl.run();
minimal.run();
