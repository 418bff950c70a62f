import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, validateConfig } from "../src/config/load.js";
import { phoneSettings } from "../src/switch/provisioning.js";

// The `provisioning:` section: off unless present, and a bad value names its key.

const tls = { cert: "/etc/centrex/cert.pem", key: "/etc/centrex/key.pem" };

function configError(raw: unknown): ConfigError {
  try {
    validateConfig(raw);
  } catch (err) {
    assert.instance(err, ConfigError);
    return err as ConfigError;
  }
  assert.unreachable("config accepted");
  throw new Error("unreachable");
}

test("absent: the HTTPS service is off; present: defaults follow PHONES-FAILOVER", () => {
  assert.is(validateConfig({}).provisioning, undefined);
  const c = validateConfig({ provisioning: { tls, phones: { server: "sip.operator.example" } } });
  assert.is(c.provisioning?.port, 8443);
  assert.equal(phoneSettings(c, c.provisioning!), {
    server: "sip.operator.example",
    secondServer: undefined,
    transport: "udp",
    dnsMode: "srv",
    expires: 300,
    failback: "newRequests",
    failbackSeconds: 3600,
    keepaliveSeconds: 30,
    language: "fr",
    timezone: "Europe/Paris",
    codecs: ["G722", "PCMA", "PCMU"],
  });
});

test("bad values name the key", () => {
  const ip = configError({ provisioning: { tls, phones: { server: "192.0.2.10" } } });
  assert.is(ip.key, "provisioning.phones.server");
  assert.match(ip.message, /must be a DNS name, not an address/);
  assert.is(configError({ provisioning: { tls } }).key, "provisioning.phones.server");
  assert.is(
    configError({ provisioning: { phones: { server: "sip.operator.example" } } }).key,
    "provisioning.tls",
  );
  assert.is(
    configError({ provisioning: { tls, phones: { server: "sip.operator.example", dnsMode: "mdns" } } }).key,
    "provisioning.phones.dnsMode",
  );
});

test.run();
