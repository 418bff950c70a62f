import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  formatSipUri,
  formatUri,
  parseNameAddr,
  parseUri,
  SipParseError,
  type SipUri,
  sipUri,
  type TelUri,
  telUri,
  uriEquals,
} from "../src/message/index.js";

const sip = (s: string): SipUri => parseUri(s) as SipUri;

test("parses every part of a SIP URI", () => {
  const u = sip(
    "sips:Alice:s%65cret@Example.COM:5061;Transport=TLS;lr;maddr=127.0.0.1?Subject=hi%20there&Priority=urgent",
  );
  assert.is(u.scheme, "sips");
  assert.is(u.user, "Alice");
  assert.is(u.password, "secret");
  assert.is(u.host, "example.com");
  assert.is(u.port, 5061);
  assert.is(u.params.get("transport"), "TLS");
  assert.is(u.params.get("lr"), null);
  assert.is(u.params.get("maddr"), "127.0.0.1");
  assert.is(u.headers.get("Subject"), "hi there");
  assert.is(u.headers.get("Priority"), "urgent");
  assert.is(
    u.raw,
    "sips:Alice:s%65cret@Example.COM:5061;Transport=TLS;lr;maddr=127.0.0.1?Subject=hi%20there&Priority=urgent",
  );
  const v6 = sip("sip:[::1]:5070");
  assert.is(v6.host, "[::1]");
  assert.is(v6.port, 5070);
  assert.is(v6.user, undefined);
});

test("tel and opaque URIs", () => {
  const t = parseUri("tel:+33-1-23-45-67-89;phone-context=+33") as TelUri;
  assert.is(t.scheme, "tel");
  assert.is(t.number, "+33-1-23-45-67-89");
  assert.is(t.params.get("phone-context"), "+33");
  const o = parseUri("urn:service:sos");
  assert.is(o.scheme, "urn");
  assert.is(o.raw, "urn:service:sos");
});

test("rejects malformed URIs with SipParseError", () => {
  for (const bad of [
    "",
    "sip:",
    "sip:@host",
    "sip:a@host:99999",
    "sip:a@ho st",
    "sip:a@host;",
    "sip:a@host;x=",
    "sip:a@host?x",
    "sip:a%zz@host",
    "1sip:x",
    "sip:a@[::1",
  ]) {
    assert.throws(
      () => parseUri(bad),
      (e: unknown) => e instanceof SipParseError && e.status === 400,
      bad,
    );
  }
});

test("RFC 3261 §19.1.4 equivalent URIs", () => {
  const pairs = [
    ["sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"],
    ["sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"],
    ["sip:carol@chicago.com", "sip:carol@chicago.com;security=on"],
    [
      "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
      "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
    ],
    [
      "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
      "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
    ],
    ["tel:+1-201-555-0123", "tel:+12015550123"],
  ] as const;
  for (const [a, b] of pairs) {
    assert.ok(uriEquals(parseUri(a), parseUri(b)), `${a} == ${b}`);
    assert.ok(uriEquals(parseUri(b), parseUri(a)), `${b} == ${a}`);
  }
});

test("RFC 3261 §19.1.4 non-equivalent URIs", () => {
  const pairs = [
    ["SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"],
    ["sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"],
    ["sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"],
    ["sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"],
    ["sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"],
    ["sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"],
    ["sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"],
    ["sip:alice@atlanta.com", "sips:alice@atlanta.com"],
    ["sip:alice:one@atlanta.com", "sip:alice:One@atlanta.com"],
  ] as const;
  for (const [a, b] of pairs) {
    assert.not.ok(uriEquals(parseUri(a), parseUri(b)), `${a} != ${b}`);
    assert.not.ok(uriEquals(parseUri(b), parseUri(a)), `${b} != ${a}`);
  }
});

test("formatting escapes what needs escaping and round-trips", () => {
  const u = sipUri({
    user: "I have spaces",
    host: "Example.net",
    port: 5080,
    params: new Map([
      ["transport", "tcp"],
      ["lr", null],
    ]),
  });
  assert.is(u.raw, "sip:I%20have%20spaces@example.net:5080;transport=tcp;lr");
  assert.ok(uriEquals(u, parseUri(u.raw)));
  const weird = sipUri({
    user: "a%b@c",
    password: "p w",
    host: "h",
    headers: new Map([["Route", "<sip:x;lr>"]]),
  });
  const back = sip(weird.raw);
  assert.is(back.user, "a%b@c");
  assert.is(back.password, "p w");
  assert.is(back.headers.get("Route"), "<sip:x;lr>");
  assert.is(formatSipUri(back), weird.raw);
  assert.is(telUri("+331234", new Map([["phone-context", "x"]])).raw, "tel:+331234;phone-context=x");
  // formatUri rebuilds from components: escapes normalised, case of the host lowered.
  const received = parseUri("sip:%61lice@Example.COM;Transport=TCP");
  assert.is(received.raw, "sip:%61lice@Example.COM;Transport=TCP");
  assert.is(formatUri(received), "sip:alice@example.com;transport=TCP");
  assert.is(formatUri(parseUri("urn:service:sos")), "urn:service:sos");
});

test("name-addr and addr-spec forms", () => {
  const a = parseNameAddr('"Alice \\"A\\"" <sip:alice@127.0.0.1;transport=tcp>;tag=42;expires=60');
  assert.is(a.displayName, 'Alice "A"');
  assert.is((a.uri as SipUri).params.get("transport"), "tcp");
  assert.is(a.params.get("tag"), "42");
  assert.is(a.params.get("expires"), "60");
  const b = parseNameAddr("sip:bob@127.0.0.1;transport=tcp;tag=1");
  assert.is(b.displayName, undefined);
  assert.is((b.uri as SipUri).params.size, 0);
  assert.is(b.params.get("transport"), "tcp");
  assert.is(b.params.get("tag"), "1");
  const c = parseNameAddr("Bob Smith <sip:bob@127.0.0.1>");
  assert.is(c.displayName, "Bob Smith");
  for (const bad of [
    '"open <sip:a@b>',
    "Bell, A <sip:a@b>",
    "< sip:a@b>",
    "sip:a@b?x=y",
    "<sip:a@b",
    "<sip:a@b>;",
    "<sip:a@b> junk",
  ]) {
    assert.throws(
      () => parseNameAddr(bad),
      (e: unknown) => e instanceof SipParseError,
      bad,
    );
  }
});

test.run();
