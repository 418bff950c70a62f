import { parseMessage, parseUri, type SipRequest } from "@centrex/sip";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ProxyRefusal } from "../src/errors.js";
import { isLooping, loopHash, proxyBranch } from "../src/loop.js";
import { fixNatedContact } from "../src/nat.js";
import { targetOfUri } from "../src/next-hop.js";

function invite(extraVia = "", contact = "<sip:201@192.0.2.10:5060>"): SipRequest {
  const text = [
    "INVITE sip:202@pbx.test SIP/2.0",
    ...(extraVia ? [`Via: ${extraVia}`] : []),
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-phone;rport",
    "From: <sip:201@pbx.test>;tag=a",
    "To: <sip:202@pbx.test>",
    "Call-ID: call-1@test",
    "CSeq: 1 INVITE",
    `Contact: ${contact}`,
    "Max-Forwards: 70",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return parseMessage(Buffer.from(text)) as SipRequest;
}

const ours = (host: string, port: number | undefined) => host === "127.0.0.1" && port === 5060;

test("loop detection: our Via with this request's hash is a loop, another hash a spiral", () => {
  const req = invite();
  const looping = invite(`SIP/2.0/UDP 127.0.0.1:5060;branch=${proxyBranch(loopHash(req))}`);
  assert.ok(isLooping(looping, ours));
  const spiral = invite(`SIP/2.0/UDP 127.0.0.1:5060;branch=${proxyBranch("someotherhash")}`);
  assert.not.ok(isLooping(spiral, ours));
  assert.not.ok(isLooping(req, ours));
});

test("a NAT'd Contact is rewritten to the flow the message came from, params kept", () => {
  const req = invite("", '<sip:201@192.168.1.20:5060>;+sip.instance="<urn:uuid:1>"');
  assert.ok(fixNatedContact(req, { transport: "UDP", address: "127.0.0.1", port: 40123 }));
  const c = req.contact[0]!;
  assert.is(c.uri.raw, "sip:201@127.0.0.1:40123");
  assert.is(c.params.get("+sip.instance"), '"<urn:uuid:1>"');
  // Already reachable where it says: untouched.
  const direct = invite("", "<sip:201@127.0.0.1:40123>");
  assert.not.ok(fixNatedContact(direct, { transport: "UDP", address: "127.0.0.1", port: 40123 }));
});

test("next hop: literal addresses only; a name from a message is refused", () => {
  assert.equal(targetOfUri(parseUri("sip:202@127.0.0.1:5070;transport=tcp")), {
    transport: "TCP",
    address: "127.0.0.1",
    port: 5070,
  });
  assert.equal(targetOfUri(parseUri("sips:202@[::1]")), { transport: "TLS", address: "::1", port: 5061 });
  assert.throws(
    () => targetOfUri(parseUri("sip:202@evil.example.com")),
    (e: unknown) => e instanceof ProxyRefusal && e.status === 404,
  );
});

test.run();
