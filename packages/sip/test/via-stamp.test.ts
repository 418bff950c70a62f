import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseMessage } from "../src/message/index.js";
import type { SipRequest } from "../src/message/types.js";
import { stampVia } from "../src/stack/index.js";
import type { InboundSource } from "../src/transport/index.js";

// stampVia hands the message the stamped top Via it built from the decoded one, instead of
// having it parsed again. Whatever path it takes, the message must read exactly what a parse of
// its own bytes reads, and carry the stamp RFC 3261 §18.2.1 / RFC 3581 ask for.

function source(remoteAddress: string, remotePort: number): InboundSource {
  return {
    transport: "UDP",
    remoteAddress,
    remotePort,
    family: remoteAddress.includes(":") ? 6 : 4,
    localAddress: "127.0.0.1",
    localPort: 5060,
  };
}

function register(viaLines: string[]): SipRequest {
  const text =
    "REGISTER sip:example.com SIP/2.0\r\n" +
    viaLines.map((v) => `Via: ${v}\r\n`).join("") +
    "Max-Forwards: 70\r\n" +
    "From: <sip:201@example.com>;tag=a1\r\n" +
    "To: <sip:201@example.com>\r\n" +
    "Call-ID: stamp-1@example.com\r\n" +
    "CSeq: 1 REGISTER\r\n" +
    "Contact: <sip:201@192.0.2.10:5062>\r\n" +
    "Content-Length: 0\r\n\r\n";
  return parseMessage(Buffer.from(text, "latin1")) as SipRequest;
}

const cases: [string, string[], InboundSource, string][] = [
  [
    "rport asked, host is the source",
    ["SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1;rport"],
    source("127.0.0.1", 40000),
    "SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1;rport=40000",
  ],
  [
    "rport asked behind NAT",
    ["SIP/2.0/UDP 192.0.2.10:5062;rport;branch=z9hG4bK-2"],
    source("203.0.113.5", 1024),
    "SIP/2.0/UDP 192.0.2.10:5062;rport=1024;branch=z9hG4bK-2;received=203.0.113.5",
  ],
  [
    "received only",
    ["SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-3"],
    source("203.0.113.5", 1024),
    "SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-3;received=203.0.113.5",
  ],
  [
    "upper-case RPORT",
    ["SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-4;RPORT"],
    source("127.0.0.1", 40000),
    "SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-4;rport=40000",
  ],
  [
    "rport twice",
    ["SIP/2.0/UDP 127.0.0.1:5062;rport;branch=z9hG4bK-5;rport"],
    source("127.0.0.1", 40000),
    "SIP/2.0/UDP 127.0.0.1:5062;rport=40000;branch=z9hG4bK-5;rport",
  ],
  [
    "rport in the host name",
    ["SIP/2.0/UDP rport.example.com;branch=z9hG4bK-6;rport"],
    source("127.0.0.1", 40000),
    "SIP/2.0/UDP rport.example.com;branch=z9hG4bK-6;rport=40000;received=127.0.0.1",
  ],
  [
    "quoted parameter",
    ['SIP/2.0/UDP 127.0.0.1:5062;x="a;rport";branch=z9hG4bK-7;rport'],
    source("127.0.0.1", 40000),
    'SIP/2.0/UDP 127.0.0.1:5062;x="a;rport";branch=z9hG4bK-7;rport=40000',
  ],
  [
    "valueless received",
    ["SIP/2.0/UDP 192.0.2.10;received;branch=z9hG4bK-8"],
    source("203.0.113.5", 1024),
    "SIP/2.0/UDP 192.0.2.10;received;branch=z9hG4bK-8;received=203.0.113.5",
  ],
  [
    "IPv6 source",
    ["SIP/2.0/UDP [2001:db8::10]:5062;branch=z9hG4bK-9;rport"],
    source("::1", 5999),
    "SIP/2.0/UDP [2001:db8::10]:5062;branch=z9hG4bK-9;rport=5999;received=::1",
  ],
  [
    "two Vias in one line",
    ["SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-10;rport, SIP/2.0/UDP 127.0.0.9;branch=z9hG4bK-old"],
    source("127.0.0.1", 40000),
    "SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-10;rport=40000",
  ],
  [
    "two Via lines",
    ["SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-11;rport", "SIP/2.0/UDP 127.0.0.9;branch=z9hG4bK-old"],
    source("127.0.0.1", 40000),
    "SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-11;rport=40000",
  ],
];

for (const [name, vias, src, stamped] of cases) {
  for (const decodedFirst of [true, false]) {
    test(`stampVia: ${name}${decodedFirst ? "" : " (Via list not read before)"}`, () => {
      const req = register(vias);
      if (decodedFirst) req.validate();
      else req.via[0]; // only the top one is needed for the stamp
      stampVia(req, src);
      assert.is(req.getAll("via")[0], stamped);
      const reparsed = parseMessage(req.toBuffer()) as SipRequest;
      assert.equal(req.getAll("via"), reparsed.getAll("via"));
      assert.equal(req.via, reparsed.via);
      // The rest of the message is untouched.
      assert.is(req.get("call-id"), "stamp-1@example.com");
      assert.is(reparsed.contact[0]?.uri.raw, "sip:201@192.0.2.10:5062");
    });
  }
}

test("stampVia: nothing to stamp leaves the received bytes as they were", () => {
  const req = register(["SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-12"]);
  const before = req.toBuffer().toString("latin1");
  stampVia(req, source("127.0.0.1", 40000));
  assert.is(req.toBuffer().toString("latin1"), before);
});

test.run();
