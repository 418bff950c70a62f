import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
});

test.run();
