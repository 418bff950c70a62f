// Two real `centrex start` processes as a pair. Needs the failover wiring in config/schema.ts,
// switch/switch.ts and cli/main.ts (see the failover helper's report).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openSqliteStore, type Store } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { stringify } from "yaml";
import { callControl } from "../src/switch/failover/control-client.js";
import {
  freePort,
  type NodePorts,
  nodePorts,
  resolveService,
  SECRET,
  sipRequest,
  until,
} from "./helpers/failover-pair.js";

const BIN = fileURLToPath(new URL("../bin/centrex.mjs", import.meta.url));

interface Node {
  name: "node-a" | "node-b";
  ports: NodePorts;
  dns: number;
  db: string;
  configFile: string;
  url: string;
}

function writeConfig(dir: string, self: Node, peer: Node): void {
  const config = {
    node: { name: self.name },
    sip: { listen: [{ transport: "udp", address: "127.0.0.1", port: self.ports.sip }] },
    registrar: { keepaliveSeconds: 0 },
    media: { enabled: false },
    trunk: { probeSeconds: 0 },
    store: { path: self.db },
    log: { level: "warn" },
    failover: {
      role: "standby",
      secret: SECRET,
      replication: { address: "127.0.0.1", port: self.ports.replication },
      health: { address: "127.0.0.1", port: self.ports.health },
      peer: {
        name: peer.name,
        host: "127.0.0.1",
        replicationPort: peer.ports.replication,
        healthPort: peer.ports.health,
        sipPort: peer.ports.sip,
      },
      probe: { intervalMs: 200, misses: 3, timeoutMs: 150 },
      dns: {
        zone: "operator.example",
        serviceName: "sip.operator.example",
        ttl: 5,
        self: self.name,
        nodes: [
          { name: "node-a", ipv4: "127.0.0.11", priority: 10 },
          { name: "node-b", ipv4: "127.0.0.12", priority: 20 },
        ],
        embedded: { address: "127.0.0.1", port: self.dns },
      },
      backup: { dir: join(dir, `${self.name}-backups`) },
    },
  };
  writeFileSync(self.configFile, stringify(config));
}

function start(node: Node, role: "primary" | "standby"): ChildProcess {
  const child = spawn(process.execPath, [BIN, "start", "--config", node.configFile, "--role", role], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
    process.stderr.write(`[${node.name}] ${d}`);
  });
  // Fail fast (rather than time out) when the command refuses to start, e.g. an unknown --role.
  child.once("exit", (code) => {
    if (code !== null && code !== 0) startFailures.push(`${node.name} exited ${code}: ${stderr.trim()}`);
  });
  return child;
}

function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

async function health(node: Node): Promise<Record<string, unknown> | undefined> {
  try {
    return (await callControl(node.url, SECRET, "GET", "/health", undefined, 1000)).body;
  } catch {
    return undefined;
  }
}

const startFailures: string[] = [];

async function roleOf(node: Node): Promise<unknown> {
  if (startFailures.length > 0) throw new Error(startFailures.join("; "));
  return (await health(node))?.role;
}

async function withStore<T>(path: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = openSqliteStore(path);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

test("two centrex processes: replication, takeover on the primary's death, DNS, backup/restore CLI, failback CLI", async () => {
  const dir = mkdtempSync(join(tmpdir(), "centrex-pair-"));
  const children: ChildProcess[] = [];
  try {
    const mk = async (name: "node-a" | "node-b"): Promise<Node> => {
      const ports = await nodePorts();
      return {
        name,
        ports,
        dns: await freePort(),
        db: join(dir, `${name}.db`),
        configFile: join(dir, `${name}.yaml`),
        url: `http://127.0.0.1:${ports.health}`,
      };
    };
    const a = await mk("node-a");
    const b = await mk("node-b");
    writeConfig(dir, a, b);
    writeConfig(dir, b, a);

    let procA = start(a, "primary");
    children.push(procA);
    await until(async () => (await roleOf(a)) === "primary", 20_000, "A serving");
    const domainId = await withStore(a.db, async (s) => {
      const c = await s.customers.create({ name: "Acme", domain: "acme.test" });
      await s.extensions.create({ customerId: c.id, number: "201", password: "pw-201-long" });
      return c.id;
    });
    assert.equal(await resolveService(a.dns), ["127.0.0.11"]);

    const procB = start(b, "standby");
    children.push(procB);
    await until(async () => (await roleOf(b)) === "standby", 20_000, "B up as standby");
    await until(
      async () => withStore(b.db, async (s) => (await s.extensions.find(domainId, "201")) !== undefined),
      10_000,
      "the extension replicated to B",
    );
    assert.is((await sipRequest(b.ports.sip, "REGISTER")).status, 503, "the standby refuses registrations");
    assert.is((await sipRequest(a.ports.sip, "REGISTER")).status, 401, "the primary challenges them");

    // ---- A dies without a word
    const died = Date.now();
    await stop(procA, "SIGKILL");
    await until(async () => (await roleOf(b)) === "primary", 10_000, "B takes over");
    const took = Date.now() - died;
    assert.ok(took < 5000, `takeover took ${took} ms`);
    console.log(`  takeover seen on B's health endpoint ${took} ms after SIGKILL of A (3 x 200 ms rounds)`);
    assert.equal(await resolveService(b.dns), ["127.0.0.12"]);
    assert.is((await sipRequest(b.ports.sip, "REGISTER")).status, 401, "the promoted node serves");
    const epochB = Number((await health(b))?.epoch);
    await withStore(b.db, (s) => s.extensions.create({ customerId: domainId, number: "202" }));

    // ---- backup of the running node, restore into a new file
    const bk = await cli("backup", "--db", b.db, "--dir", join(dir, "bk"));
    assert.is(bk.code, 0, bk.stderr);
    const file = readdirSync(join(dir, "bk")).find((n) => n.endsWith(".db"));
    assert.ok(file);
    const restored = join(dir, "restored.db");
    const rs = await cli("restore", join(dir, "bk", file), "--db", restored);
    assert.is(rs.code, 0, rs.stderr);
    assert.ok(await withStore(restored, (s) => s.extensions.find(domainId, "202")));
    writeFileSync(join(dir, "bk", `${file}.sha256`), `${"0".repeat(64)}  ${file}\n`);
    const bad = await cli("restore", join(dir, "bk", file), "--db", restored);
    assert.is(bad.code, 2, "a checksum mismatch is refused");

    // ---- A, repaired, rejoins as standby and catches up; then failback
    procA = start(a, "standby");
    children.push(procA);
    await until(async () => (await roleOf(a)) === "standby", 20_000, "A back as standby");
    await until(
      async () => withStore(a.db, async (s) => (await s.extensions.find(domainId, "202")) !== undefined),
      10_000,
      "A caught up",
    );
    const fb = await cli("failback", "--config", a.configFile);
    assert.is(fb.code, 0, fb.stderr);
    assert.is(await roleOf(a), "primary");
    assert.is((await health(a))?.epoch, epochB + 1);
    await until(async () => (await roleOf(b)) === "standby", 5000, "B steps down");
    assert.equal(await resolveService(a.dns), ["127.0.0.11"]);
  } finally {
    for (const c of children) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
