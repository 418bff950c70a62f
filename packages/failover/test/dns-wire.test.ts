import * as dnsPacket from "dns-packet";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ipv6Bytes, ipv6Text, WireFormatError, WireReader, WireWriter } from "../src/dns/wire.js";
import { requireBinary } from "./helpers/binary.js";

test("IPv6 text → bytes matches dns-packet's encoder, and back to RFC 5952 text", () => {
  const cases = [
    "::1",
    "::",
    "2001:db8::1",
    "fe80::1:2:3:4",
    "::ffff:127.0.0.1",
    "1:2:3:4:5:6:7:8",
    "1::",
    "1:2:3:4:5:6:1.2.3.4",
    "2001:db8:0:0:1:0:0:1",
  ];
  for (const addr of cases) {
    const viaLib = dnsPacket.encode({
      type: "response",
      answers: [{ type: "AAAA", name: "x", data: addr }],
    });
    const rdata = viaLib.subarray(viaLib.length - 16);
    assert.equal(ipv6Bytes(addr), Buffer.from(rdata), addr);
  }
  assert.is(ipv6Text(ipv6Bytes("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
  assert.is(ipv6Text(ipv6Bytes("::1")), "::1");
  assert.is(ipv6Text(ipv6Bytes("1:2:3:4:5:6:7:8")), "1:2:3:4:5:6:7:8");
});

test("names: compression round-trips; loops, forward pointers and dotted labels are rejected", () => {
  const w = new WireWriter(16);
  w.name("sip.operator.example", true);
  w.name("primary.operator.example", true);
  w.name("operator.example", true);
  const buf = w.toBuffer();
  assert.is(buf.length, 22 + 10 + 2);
  const r = new WireReader(buf);
  assert.is(r.name(), "sip.operator.example");
  assert.is(r.name(), "primary.operator.example");
  assert.is(r.name(), "operator.example");
  assert.is(r.remaining, 0);
  const bad = [
    Buffer.from([0xc0, 0x00]), // points at itself
    Buffer.from([0xc0, 0x05, 0, 0, 0, 1, 97, 0]), // forward
    Buffer.from([3, 97, 46, 98, 0]), // "a.b" as one label
    Buffer.from([5, 97]), // truncated
    Buffer.from([0x80, 1]), // reserved label type
  ];
  for (const b of bad) {
    assert.throws(
      () => new WireReader(b).name(),
      (e: unknown) => e instanceof WireFormatError,
    );
  }
});

test("requireBinary names the Debian package to install when a tool is missing", () => {
  try {
    requireBinary("centrex-no-such-binary", "centrex-pkg");
    assert.unreachable("should throw");
  } catch (err) {
    assert.match((err as Error).message, 'install the Debian package "centrex-pkg"');
  }
  assert.ok(requireBinary("sh", "dash").endsWith("/sh"));
});

test.run();
