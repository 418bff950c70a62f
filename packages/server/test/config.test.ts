import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DigestAuthenticator } from "@centrex/registrar";
import { NonceService, parseMessage, type SipRequest } from "@centrex/sip";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, loadConfigFile, validateConfig } from "../src/config/load.js";
import { advertisedAddress } from "../src/switch/addresses.js";

test("empty config gives the embedded defaults", () => {
  const c = validateConfig({});
  assert.equal(
    c.sip.listen.map((l) => `${l.transport}:${l.address}:${l.port}`),
    ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"],
  );
  assert.is(c.store.path, "./centrex.db");
  assert.is(c.sip.timers.t1, 500);
  assert.is(c.sip.maxMessageSize, 65_536);
});

function challengeWith(
  algorithms: ReturnType<typeof validateConfig>["sip"]["digestAlgorithms"],
  kind: "www" | "proxy",
) {
  const auth = new DigestAuthenticator({
    extensions: { findCredentials: async () => undefined },
    nonces: new NonceService(Buffer.alloc(32, 1), { ttlSeconds: 300 }),
    algorithms,
  });
  const req = parseMessage(
    Buffer.from(
      "REGISTER sip:pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n" +
        "From: <sip:201@pbx.test>;tag=a\r\nTo: <sip:201@pbx.test>\r\nCall-ID: c1\r\nCSeq: 1 REGISTER\r\n" +
        "Content-Length: 0\r\n\r\n",
    ),
  ) as SipRequest;
  return auth.challenge(req, "pbx.test", kind);
}

test("default digest: one challenge, MD5 only (401 and 407 alike)", () => {
  const algorithms = validateConfig({}).sip.digestAlgorithms;
  assert.equal(algorithms, ["MD5"]);
  const www = challengeWith(algorithms, "www").getAll("www-authenticate");
  assert.is(www.length, 1);
  assert.match(www[0]!, /algorithm=MD5\b/);
  const proxy = challengeWith(algorithms, "proxy").getAll("proxy-authenticate");
  assert.is(proxy.length, 1);
  assert.match(proxy[0]!, /algorithm=MD5\b/);
});

test("SHA-256 enabled by the operator is offered first (RFC 8760), whatever the order written", () => {
  for (const written of [
    ["MD5", "SHA-256"],
    ["SHA-256", "MD5"],
    ["MD5", "SHA-256", "MD5"],
  ] as const) {
    const algorithms = validateConfig({ sip: { digestAlgorithms: written } }).sip.digestAlgorithms;
    assert.equal(algorithms, ["SHA-256", "MD5"]);
    const offered = challengeWith(algorithms, "www")
      .getAll("www-authenticate")
      .map((h) => h.match(/algorithm=([\w-]+)/)?.[1]);
    assert.equal(offered, ["SHA-256", "MD5"]);
  }
  assert.equal(validateConfig({ sip: { digestAlgorithms: ["SHA-256"] } }).sip.digestAlgorithms, ["SHA-256"]);
});

test("a bad value names the key and the value", () => {
  try {
    validateConfig({ sip: { listen: [{ transport: "udp", address: "127.0.0.1", port: 70000 }] } });
    assert.unreachable("should throw");
  } catch (err) {
    assert.instance(err, ConfigError);
    const e = err as ConfigError;
    assert.is(e.key, "sip.listen.0.port");
    assert.match(e.message, 'key "sip.listen.0.port"');
    assert.match(e.message, "70000");
  }
});

test("an unknown key is refused by name", () => {
  try {
    validateConfig({ sip: { tiemrs: {} } });
    assert.unreachable("should throw");
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, "tiemrs");
  }
});

test("YAML file is read, validated, and a syntax error is reported", () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-config-"));
  const good = join(dir, "good.yaml");
  writeFileSync(good, "sip:\n  timers:\n    t1: 250\nstore:\n  path: /tmp/x.db\n");
  const c = loadConfigFile(good);
  assert.is(c.sip.timers.t1, 250);
  assert.is(c.sip.timers.t2, 4000);
  assert.is(c.store.path, "/tmp/x.db");

  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, "sip: [unclosed\n");
  assert.throws(
    () => loadConfigFile(bad),
    (e: unknown) => e instanceof ConfigError && /invalid YAML/.test(String(e)),
  );

  const wrongType = join(dir, "wrong.yaml");
  writeFileSync(wrongType, "log:\n  level: loud\n");
  assert.throws(
    () => loadConfigFile(wrongType),
    (e: unknown) => /key "log.level"/.test(String(e)) && /loud/.test(String(e)),
  );
});

test("the advertised address: configured, else a specific listener's, else an external one for a wildcard", () => {
  assert.is(advertisedAddress(validateConfig({ sip: { advertisedAddress: "203.0.113.7" } })), "203.0.113.7");
  const specific = validateConfig({
    sip: { listen: [{ transport: "udp", address: "127.0.0.1", port: 5060 }] },
  });
  assert.is(advertisedAddress(specific), undefined); // the listener's own address is used
  const wildcard = advertisedAddress(validateConfig({}));
  // Never the wildcard itself: phones would send their answers nowhere.
  assert.ok(wildcard !== undefined && wildcard !== "0.0.0.0" && wildcard.length > 0);
  // A pair with a service address on a wildcard listener: whichever node is active holds it.
  const pair = (serviceAddress: Record<string, string>) =>
    advertisedAddress(
      validateConfig({
        failover: {
          role: "standby",
          secret: "s".repeat(16),
          peer: { name: "b", host: "192.0.2.2" },
          serviceAddress,
        },
      }),
    );
  assert.is(pair({ ipv4: "192.0.2.10/24", ipv6: "2001:db8::10/64" }), "192.0.2.10");
  assert.is(pair({ ipv6: "2001:db8::10/64" }), "2001:db8::10");
});

test.run();
