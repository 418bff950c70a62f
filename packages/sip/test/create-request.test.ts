import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  createRequest,
  parseMessage,
  type RequestHead,
  SipParseError,
  type SipRequest,
} from "../src/index.js";

// Requests this node originates (keepalive OPTIONS, a BYE from the middle, carrier probes, ACK,
// CANCEL) are written with their header table, never parsed back — yet they must be the same
// message the parser would make of their bytes, and refused for the same faults.
const base = (extra: Partial<RequestHead> = {}): RequestHead => ({
  method: "OPTIONS",
  uri: "sip:201@192.0.2.10:5062;transport=udp",
  headers: [
    ["Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc;rport"],
    ["From", "<sip:keepalive@127.0.0.1>;tag=a1b2"],
    ["To", "<sip:201@192.0.2.10:5062>"],
    ["Call-ID", "ka-1234@127.0.0.1"],
    ["CSeq", "1 OPTIONS"],
    ["Max-Forwards", "70"],
  ],
  ...extra,
});

function same(written: SipRequest): void {
  const parsed = parseMessage(written.toBuffer()) as SipRequest;
  assert.is(written.method, parsed.method);
  assert.is(written.uri.raw, parsed.uri.raw);
  assert.equal(written.via, parsed.via);
  assert.is(written.from.params.get("tag"), parsed.from.params.get("tag"));
  assert.is(written.to.uri.raw, parsed.to.uri.raw);
  assert.is(written.callId, parsed.callId);
  assert.equal(written.cseq, parsed.cseq);
  assert.is(written.maxForwards, parsed.maxForwards);
  assert.equal(written.body, parsed.body);
  assert.is(written.get("content-length"), parsed.get("content-length"));
}

test("a written request is the message its bytes parse to (headers, body, Content-Length)", () => {
  const plain = createRequest(base());
  assert.ok(plain.toBuffer().toString().endsWith("Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"));
  same(plain);
  const body = Buffer.from("v=0\r\n");
  const withBody = createRequest(
    base({
      method: "MESSAGE",
      headers: [...base().headers.slice(0, 4), ["CSeq", "2 MESSAGE"]],
      body,
      contentType: "text/plain",
    }),
  );
  same(withBody);
  assert.is(withBody.get("content-type"), "text/plain");
  // Non-ASCII display name: written through the parser, same result.
  const utf8 = createRequest(base({ headers: [...base().headers, ["Subject", "Café"]] }));
  same(utf8);
  assert.is(utf8.get("subject"), "Café");
  // Edits work on a written request as on a parsed one.
  plain.prepend("via", "SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKtop");
  assert.is(plain.via.length, 2);
  same(plain);
});

test("the parser's faults are refused the same way: missing headers, CSeq method, Request-URI, line breaks", () => {
  const fault = (head: RequestHead, reason: RegExp) => {
    try {
      createRequest(head);
    } catch (err) {
      assert.instance(err, SipParseError);
      assert.match((err as SipParseError).reason, reason);
      return;
    }
    assert.unreachable(`accepted: ${reason}`);
  };
  fault(base({ headers: base().headers.filter(([n]) => n !== "Call-ID") }), /Missing Call-ID/);
  fault(base({ method: "INFO" }), /CSeq method does not match/);
  fault(base({ uri: "sip:201@192.0.2.10 x" }), /whitespace in Request-URI/);
  fault(base({ uri: "<sip:201@192.0.2.10>" }), /enclosed in <>/);
  fault(base({ uri: "sip:201@192.0.2.10?subject=x" }), /must not contain headers/);
  fault(base({ headers: [...base().headers.slice(0, 4), ["CSeq", "x OPTIONS"]] }), /CSeq/);
  // A value smuggling a line break goes to the parser, which sees the injected header as a repeat.
  fault(base({ headers: [...base().headers, ["Reason", "x\r\nCall-ID: evil"]] }), /Multiple Call-ID/);
});

test.run();
