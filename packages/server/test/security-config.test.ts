import { test } from "uvu";
import * as assert from "uvu/assert";
import { validateConfig } from "../src/config/load.js";

test("security defaults: the documented thresholds", () => {
  const s = validateConfig({}).security;
  assert.equal(s.allow, []);
  assert.equal(s.flood, { windowMs: 2000, maxMessages: 400, banSeconds: 60, maxBanSeconds: 3600 });
  assert.is(s.authFailures.maxFailures, 10);
  assert.is(s.authFailures.windowSeconds, 600);
  assert.is(s.authFailures.extensionAlert, 20);
  assert.ok(s.scanners.userAgents.includes("friendly-scanner"));
  assert.is(s.maxTransactionsPerSource, 2000);
  assert.is(s.maxConnectionsPerSource, 64);
  assert.is(s.adminMaxFailures, 5);
});

test("a bad allow entry or TLS version is refused naming the key", () => {
  assert.throws(() => validateConfig({ security: { allow: ["10.0.0.0/33"] } }), /security\.allow/);
  assert.throws(() => validateConfig({ security: { allow: ["office"] } }), /security\.allow/);
  assert.equal(
    validateConfig({ security: { allow: ["10.0.0.0/8", "2001:db8::/32", "::1"] } }).security.allow,
    ["10.0.0.0/8", "2001:db8::/32", "::1"],
  );
  assert.throws(
    () => validateConfig({ sip: { tls: { cert: "c.pem", key: "k.pem", minVersion: "TLSv1.1" } } }),
    /sip\.tls\.minVersion/,
  );
  const tls = validateConfig({ sip: { tls: { cert: "c.pem", key: "k.pem" } } }).sip.tls;
  assert.is(tls?.minVersion, "TLSv1.2");
});

test.run();
