import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { stringify } from "yaml";
import { adminUrl, centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { freePort } from "./helpers/ports.js";

// The replication state the operator reads — the admin API's /health and the console's live
// state (GET /console/state, what the Live tab's Node box shows) — for a real primary/standby
// pair: two `centrex start` processes on loopback, the standby following the primary's database.
// It says "connected" while it is, on both sides, with the standby not serving; and "no link to
// the peer" on the primary once the standby is stopped.
// Overrides (test/README.md): the `failover:` section (the pair is what the test is about: roles,
// secret, replication/health/peer ports on loopback; no `dns` section, the DNS side has tests of
// its own); admin.tokens and admin.port 0 (the API is off without a token; tests run side by
// side); media.enabled false (no calls here, and two switches on one host would share the
// relay's default port range).
const TOKEN = "console-replication-ops-4b1e9d";
const SECRET = "a-pair-secret-of-some-length";
const dir = mkdtempSync(join(tmpdir(), "centrex-console-pair-"));
const running: RunningSwitch[] = [];

interface Ports {
  sip: number;
  replication: number;
  health: number;
}
type Json = Record<string, unknown>;

function configFor(name: string, role: string, own: Ports, peerName: string, peer: Ports): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      node: { name },
      admin: { port: 0, tokens: [{ name: "ops", token: TOKEN }] },
      media: { enabled: false },
      failover: {
        role,
        secret: SECRET,
        replication: { address: "127.0.0.1", port: own.replication },
        health: { address: "127.0.0.1", port: own.health },
        peer: {
          name: peerName,
          host: "127.0.0.1",
          replicationPort: peer.replication,
          healthPort: peer.health,
          sipPort: peer.sip,
        },
      },
    }),
  );
  return file;
}

async function get(api: string, path: string): Promise<Json> {
  const res = await fetch(new URL(path, api), { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.json()) as Json;
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not within ${ms} ms${last ? ` (${String(last)})` : ""}`);
}

const checks = (h: Json) => h.checks as Record<string, Json>;

test.after(async () => {
  await Promise.all(running.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

test("a primary/standby pair: the standby's role and replication link in /health and the console, the primary's link lost when the standby stops", async () => {
  const ports = async (): Promise<Ports> => ({
    sip: await freePort(),
    replication: await freePort(),
    health: await freePort(),
  });
  const pa = await ports();
  const pb = await ports();
  const a = await startSwitch({
    port: pa.sip,
    db: join(dir, "a.db"),
    args: ["--config", configFor("node-a", "primary", pa, "node-b", pb)],
  });
  running.push(a);
  const r = await centrex(["customer", "add", "Acme", "--domain", "acme.test", "--db", a.db]);
  assert.is(r.code, 0, r.stderr);
  const b = await startSwitch({
    port: pb.sip,
    db: join(dir, "b.db"),
    args: ["--config", configFor("node-b", "standby", pb, "node-a", pa)],
  });
  running.push(b);
  const apiA = adminUrl(a);
  const apiB = adminUrl(b);

  // The standby: not serving, following the primary over a live link.
  const hb = await until("the standby reports a connected link", 15_000, async () => {
    const h = await get(apiB, "/health");
    return checks(h).replication?.ok === true ? h : undefined;
  });
  assert.is(hb.ok, true, JSON.stringify(hb));
  assert.is(checks(hb).role?.role, "standby");
  assert.is(checks(hb).role?.detail, "not serving");
  assert.match(String(checks(hb).replication?.detail), /^\d+ changes, [\d.]+ s behind$/);
  const sb = await get(apiB, "/console/state");
  const nodeB = sb.node as Json;
  assert.is(nodeB.role, "standby", JSON.stringify(sb));
  assert.is(nodeB.serving, false);
  assert.is((nodeB.replication as Json).connected, true);

  // The primary sees its standby too.
  const ha = await until("the primary reports its standby", 10_000, async () => {
    const h = await get(apiA, "/health");
    return checks(h).replication?.ok === true ? h : undefined;
  });
  assert.is(checks(ha).role?.role, "primary");
  assert.is(checks(ha).role?.detail, "serving");
  const nodeA = (await get(apiA, "/console/state")).node as Json;
  assert.is(nodeA.role, "primary");
  assert.is(nodeA.serving, true);
  assert.is((nodeA.replication as Json).connected, true);

  // The standby stops: the primary says so (still healthy: it serves without its standby).
  await b.stop();
  running.splice(running.indexOf(b), 1);
  const lost = await until("the primary reports the link lost", 10_000, async () => {
    const h = await get(apiA, "/health");
    return checks(h).replication?.ok === false ? h : undefined;
  });
  assert.is(lost.ok, true, JSON.stringify(lost));
  assert.is(checks(lost).replication?.detail, "no link to the peer");
  const after = (await get(apiA, "/console/state")).node as Json;
  assert.is((after.replication as Json).connected, false);
});

test.run();
