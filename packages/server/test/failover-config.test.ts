import { test } from "uvu";
import * as assert from "uvu/assert";
import { FailoverConfigError, failoverConfigSchema } from "../src/switch/failover/config.js";
import { dnsNodes } from "../src/switch/failover/dns-nodes.js";
import { grantedExpiry } from "../src/switch/failover/expiry.js";

const base = (dns: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  failoverConfigSchema.parse({
    role: "primary",
    secret: "a-pair-secret-of-some-length",
    peer: { name: "node-b", host: "127.0.0.1" },
    dns: {
      zone: "operator.example",
      serviceName: "sip.operator.example",
      self: "node-a",
      nodes: [
        { name: "node-a", ipv4: "127.0.0.11", priority: 10 },
        { name: "node-b", ipv4: "127.0.0.12", priority: 20 },
      ],
      ...dns,
    },
    ...extra,
  });

const UDP_ONLY = [{ transport: "UDP", port: 5060 }];

test("nodes without ports advertise what this node listens on: a UDP-only pair gets UDP only", () => {
  const c = base();
  const nodes = dnsNodes(c.dns!, UDP_ONLY);
  assert.equal(
    nodes.map((n) => n.ports),
    [
      { udp: 5060, tcp: undefined, tls: undefined },
      { udp: 5060, tcp: undefined, tls: undefined },
    ],
  );
  const both = dnsNodes(c.dns!, [
    ...UDP_ONLY,
    { transport: "TCP", port: 5060 },
    { transport: "TLS", port: 5061 },
  ]);
  assert.equal(both[0]?.ports, { udp: 5060, tcp: 5060, tls: 5061 });
});

test("this node advertising a transport it does not listen on stops start-up naming the key", () => {
  const c = base({
    nodes: [
      { name: "node-a", ipv4: "127.0.0.11", priority: 10, ports: { udp: 5060, tls: 5061 } },
      { name: "node-b", ipv4: "127.0.0.12", priority: 20, ports: { udp: 5060, tls: 5061 } },
    ],
  });
  try {
    dnsNodes(c.dns!, UDP_ONLY);
    assert.unreachable("TLS is not listened on");
  } catch (err) {
    assert.instance(err, FailoverConfigError);
    assert.is((err as FailoverConfigError).key, "failover.dns.nodes.0.ports.tls");
    assert.match((err as Error).message, "does not listen on tls port 5061");
  }
  // The peer's explicit ports are its own business (its node checks them at its start).
  assert.is(
    dnsNodes(
      base({
        nodes: [
          { name: "node-a", ipv4: "127.0.0.11", priority: 10 },
          { name: "node-b", ipv4: "127.0.0.12", priority: 20, ports: { tcp: 5080 } },
        ],
      }).dns!,
      UDP_ONLY,
    )[1]?.ports.tcp,
    5080,
  );
});

test("an empty ports object is refused by the schema", () => {
  const r = failoverConfigSchema.safeParse({
    role: "primary",
    secret: "a-pair-secret-of-some-length",
    peer: { name: "b", host: "127.0.0.1" },
    dns: {
      zone: "operator.example",
      serviceName: "sip.operator.example",
      self: "a",
      nodes: [
        { name: "a", ipv4: "127.0.0.11", priority: 10, ports: {} },
        { name: "b", ipv4: "127.0.0.12", priority: 20 },
      ],
    },
  });
  assert.not.ok(r.success);
});

test("paired, the granted expiry is capped at failover.registrationExpiry; TTL may not exceed it", () => {
  const reg = { min: 60, max: 3600, default: 3600 };
  assert.equal(grantedExpiry(reg, undefined), reg);
  assert.equal(grantedExpiry(reg, base()), { min: 60, max: 120, default: 120 });
  assert.equal(grantedExpiry({ min: 10, max: 60, default: 30 }, base()), { min: 10, max: 60, default: 30 });
  try {
    grantedExpiry(reg, base({ ttl: 300 }));
    assert.unreachable();
  } catch (err) {
    assert.is((err as FailoverConfigError).key, "failover.dns.ttl");
  }
  try {
    grantedExpiry(reg, base({}, { registrationExpiry: 30 }));
    assert.unreachable();
  } catch (err) {
    assert.is((err as FailoverConfigError).key, "failover.registrationExpiry");
  }
});

test.run();
