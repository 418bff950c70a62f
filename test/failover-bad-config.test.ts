import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex } from "./helpers/centrex.js";
import { type KnotZone, startKnotZone } from "./helpers/failover-dns-knot.js";
import { NETNS, runInNetns } from "./helpers/netns.js";
import { freePort } from "./helpers/ports.js";

// Issue 13, bad input: a failover section that parses but cannot work stops `centrex start`
// with one line on stderr naming the key, and the process exits — nothing half-started.
//
// The whole file runs in its own network namespace with only `lo` up: a node that got past a
// broken service-address check would bring the address up on an interface, and that must
// never be one of the machine's own (it happened once while writing this test).

const ZONE = "operator.test";
const dirs: string[] = [];
let knot: KnotZone | undefined;

test.after.each(async () => {
  await knot?.stop();
  knot = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function startWith(failover: (ports: Record<string, number>) => Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), "centrex-bad-failover-"));
  dirs.push(dir);
  const ports = {
    sip: await freePort("127.0.0.1"),
    health: await freePort("127.0.0.1"),
    replication: await freePort("127.0.0.1"),
    dns: await freePort("127.0.0.1"),
  };
  const config = {
    sip: { listen: [{ transport: "udp", address: "127.0.0.1", port: ports.sip }] },
    media: { enabled: false },
    trunk: { probeSeconds: 0 },
    store: { path: join(dir, "node.db") },
    failover: {
      role: "primary",
      secret: "bad-config-pair-secret-0123456789",
      replication: { address: "127.0.0.1", port: ports.replication },
      health: { address: "127.0.0.1", port: ports.health },
      // Nobody there: the first probe round finds no other primary.
      peer: { name: "node-b", host: "127.0.0.1", healthPort: 9, sipPort: 9, replicationPort: 9 },
      ...failover(ports),
    },
  };
  const file = join(dir, "node.json");
  writeFileSync(file, JSON.stringify(config));
  return centrex(["start", "--config", file]);
}

const dns = (extra: Record<string, unknown>, ports: Record<string, number>) => ({
  dns: {
    zone: ZONE,
    serviceName: `sip.${ZONE}`,
    self: "node-a",
    nodes: [
      { name: "node-a", ipv4: "127.0.0.2", priority: 10 },
      { name: "node-b", ipv4: "127.0.0.3", priority: 20 },
    ],
    embedded: { address: "127.0.0.1", port: ports.dns },
    ...extra,
  },
});

function oneLine(r: { code: number | null; stderr: string }, key: string): void {
  assert.is(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? "", "centrex: cannot start: ");
  assert.match(lines[0] ?? "", `"${key}"`);
}

if (NETNS === undefined) {
  test("a failover section that cannot work stops start-up naming the key (own network namespace)", async () => {
    assert.is(await runInNetns(import.meta.filename, 240_000), 0);
  });
} else {
  test("dns.self naming no node of dns.nodes", async () => {
    const r = await startWith((ports) => dns({ self: "node-x" }, ports));
    oneLine(r, "failover.dns.self");
  });

  test("a service address outside the subnet of every interface", async () => {
    // Only lo (127.0.0.1/8) exists in this namespace.
    const r = await startWith((ports) => ({ ...dns({}, ports), serviceAddress: { ipv4: "192.0.2.10/24" } }));
    oneLine(r, "failover.serviceAddress.ipv4");
  });

  test("this node advertising TLS in DNS without listening on it", async () => {
    const r = await startWith((ports) =>
      dns(
        {
          nodes: [
            { name: "node-a", ipv4: "127.0.0.2", priority: 10, ports: { udp: ports.sip, tls: 5061 } },
            { name: "node-b", ipv4: "127.0.0.3", priority: 20 },
          ],
        },
        ports,
      ),
    );
    oneLine(r, "failover.dns.nodes.0.ports.tls");
  });

  test("a TSIG key the DNS server refuses, on a primary and on a standby (checked at start, not at takeover)", async () => {
    knot = await startKnotZone(ZONE);
    const k = knot;
    for (const role of ["primary", "standby"] as const) {
      const r = await startWith(() => ({
        role,
        dns: {
          zone: ZONE,
          serviceName: `sip.${ZONE}`,
          self: "node-a",
          nodes: [
            { name: "node-a", ipv4: "127.0.0.2", priority: 10 },
            { name: "node-b", ipv4: "127.0.0.3", priority: 20 },
          ],
          rfc2136: {
            server: { host: "127.0.0.1", port: k.port },
            // The right key name with a secret Knot does not have: BADSIG.
            key: { name: k.keyName, algorithm: "hmac-sha256", secret: randomBytes(32).toString("base64") },
          },
        },
      }));
      oneLine(r, "failover.dns.rfc2136.key");
      assert.match(r.stderr, `key "${k.keyName}"`, `${role}: the line names the key itself`);
      assert.equal(await k.resolve4(`sip.${ZONE}`), [], `${role}: nothing was published`);
    }
  });
}

test.run();
