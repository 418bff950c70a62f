import { test } from "uvu";
import * as assert from "uvu/assert";
import { NonceService, parseMessage, parseUri, type SipRequest, type SipResponse } from "../src/index.js";

const INVITE = Buffer.from(
  "INVITE sip:201@example.com SIP/2.0\r\n" +
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1;rport\r\n" +
    "Max-Forwards: 70\r\n" +
    "From: <sip:200@example.com>;tag=a1\r\n" +
    "To: <sip:201@example.com>\r\n" +
    "Call-ID: c1@127.0.0.1\r\n" +
    "CSeq: 1 INVITE\r\n" +
    'Proxy-Authorization: Digest username="200"\r\n' +
    "Content-Type: application/sdp\r\n" +
    "Content-Length: 4\r\n\r\nv=0\n",
);

test("clone: same wire form and values as a re-parse, edits stay on their side", () => {
  const req = parseMessage(INVITE) as SipRequest;
  req.set("max-forwards", "69"); // an edit made before cloning travels with the copy
  const copy = req.clone();
  assert.equal(copy.toBuffer().toString(), req.toBuffer().toString());
  assert.equal(
    copy.toBuffer().toString(),
    (parseMessage(req.toBuffer()) as SipRequest).toBuffer().toString(),
  );
  assert.is(copy.maxForwards, 69);

  copy.uri = parseUri("sip:201@127.0.0.1:5070");
  copy.set("max-forwards", "68");
  copy.remove("proxy-authorization");
  copy.prepend("via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2");
  copy.prepend("record-route", "<sip:127.0.0.1;lr>");
  copy.from.params.set("x", "1"); // decoded objects are the copy's own

  assert.is(req.uri.raw, "sip:201@example.com");
  assert.is(req.maxForwards, 69);
  assert.is(req.via.length, 1);
  assert.ok(req.has("proxy-authorization"));
  assert.not.ok(req.has("record-route"));
  assert.is(req.from.params.get("x"), undefined);

  const wire = copy.toBuffer().toString();
  assert.ok(wire.startsWith("INVITE sip:201@127.0.0.1:5070 SIP/2.0\r\n"));
  const again = parseMessage(copy.toBuffer()) as SipRequest;
  assert.is(again.via.length, 2);
  assert.is(again.via[0]?.branch, "z9hG4bK-2");
  assert.is(again.maxForwards, 68);
  assert.not.ok(again.has("proxy-authorization"));
  assert.is(again.recordRoute.length, 1);
  assert.is(again.body.toString(), "v=0\n");
  assert.is(again.contentLength, 4);
});

test("clone of a response keeps status and headers; edits do not leak back", () => {
  const res = parseMessage(
    Buffer.from(
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1\r\n" +
        "From: <sip:200@example.com>;tag=a1\r\nTo: <sip:201@example.com>;tag=b2\r\n" +
        "Call-ID: c1@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    ),
  ) as SipResponse;
  const copy = res.clone();
  copy.removeFirst("via");
  copy.setBody(Buffer.from("x"), "text/plain");
  assert.is(copy.status, 180);
  assert.is(copy.via.length, 0);
  assert.is(res.via.length, 1);
  assert.is(res.body.length, 0);
  assert.is(copy.contentLength, 1);
});

test("toBuffer after each kind of edit shows that edit (the serialization is cached between edits)", () => {
  const req = parseMessage(INVITE) as SipRequest;
  req.set("max-forwards", "10");
  const first = req.toBuffer();
  assert.is(req.toBuffer(), first); // no edit since: the same bytes, not a second serialization
  const steps: [string, (r: SipRequest) => void, string][] = [
    ["set", (r) => r.set("max-forwards", "9"), "Max-Forwards: 9\r\n"],
    ["append", (r) => r.append("X-A", "1"), "X-A: 1\r\n"],
    ["prepend", (r) => r.prepend("via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-3"), "branch=z9hG4bK-3"],
    ["removeFirst", (r) => r.removeFirst("via"), "INVITE"],
    ["remove", (r) => r.remove("proxy-authorization"), "INVITE"],
    ["uri", (r) => (r.uri = parseUri("sip:9@127.0.0.1")), "INVITE sip:9@127.0.0.1 SIP/2.0\r\n"],
    ["setBody", (r) => r.setBody(Buffer.from("v=1\n")), "\r\n\r\nv=1\n"],
  ];
  for (const [name, edit, expect] of steps) {
    const before = req.toBuffer().toString();
    edit(req);
    const after = req.toBuffer().toString();
    assert.is.not(after, before, name);
    assert.ok(after.includes(expect), name);
    assert.is(after, (parseMessage(Buffer.from(after)) as SipRequest).toBuffer().toString(), name);
  }
  assert.not.ok(req.toBuffer().toString().includes("Proxy-Authorization"));
  assert.not.ok(req.toBuffer().toString().includes("z9hG4bK-3"));
});

test("nonces stay distinct and verifiable across random-pool refills", () => {
  const svc = new NonceService(Buffer.from("a secret of at least 16 bytes!!!"), { ttlSeconds: 30 });
  const seen = new Set<string>();
  for (let i = 0; i < 1500; i++) {
    const n = svc.create("example.com");
    assert.is(svc.verify(n, "example.com"), "valid");
    seen.add(n.slice(8, 24)); // the random part (timestamp excluded)
  }
  assert.is(seen.size, 1500);
});

test.run();
