import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { requireCommand, stop } from "./processes.js";

// The operator's own authoritative DNS (Knot) for the failover zone, updated by whichever node
// is active with RFC 2136 + TSIG: the phones' DNS server outlives either node.

export interface KnotZone {
  /** `127.0.0.1:PORT`, for a phone's dns_server. */
  server: string;
  port: number;
  keyName: string;
  /** base64 HMAC-SHA256 secret, as the nodes' `failover.dns.rfc2136.key.secret`. */
  secret: string;
  /** The A records of `name` as Knot serves them now. */
  resolve4(name: string): Promise<string[]>;
  log(): string;
  stop(): Promise<void>;
}

export async function startKnotZone(zone: string): Promise<KnotZone> {
  requireCommand("knotd", "knot");
  const dir = mkdtempSync(join(tmpdir(), "centrex-failover-knot-"));
  for (const sub of ["run", "storage", "zones"]) mkdirSync(join(dir, sub));
  const keyName = "centrex-update";
  const secret = randomBytes(32).toString("base64");
  // A short negative TTL (SOA minimum): a resolver must not remember "no such name" for long.
  writeFileSync(
    join(dir, "zones", `${zone}.zone`),
    `$ORIGIN ${zone}.\n$TTL 5\n@ SOA ns1 hostmaster 1 3600 600 604800 5\n@ NS ns1\nns1 A 127.0.0.1\n`,
  );
  let last = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort("127.0.0.1");
    writeFileSync(
      join(dir, "knot.conf"),
      [
        "server:",
        `    rundir: "${join(dir, "run")}"`,
        `    listen: 127.0.0.1@${port}`,
        "log:",
        "  - target: stderr",
        "    any: info",
        "database:",
        `    storage: "${join(dir, "storage")}"`,
        "key:",
        `  - id: ${keyName}`,
        "    algorithm: hmac-sha256",
        `    secret: ${secret}`,
        "acl:",
        "  - id: failover-update",
        `    key: ${keyName}`,
        "    action: update",
        "template:",
        "  - id: default",
        `    storage: "${join(dir, "zones")}"`,
        '    file: "%s.zone"',
        "zone:",
        `  - domain: ${zone}`,
        "    acl: failover-update",
        "",
      ].join("\n"),
    );
    const child: ChildProcess = spawn("knotd", ["-c", join(dir, "knot.conf")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    const collect = (d: Buffer) => {
      log += d.toString();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    const deadline = Date.now() + 8000;
    let ready = false;
    while (!ready && Date.now() < deadline && child.exitCode === null) {
      ready = await resolver.resolveSoa(zone).then(
        () => true,
        () => false,
      );
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    if (ready && !log.includes("cannot bind")) {
      return {
        server: `127.0.0.1:${port}`,
        port,
        keyName,
        secret,
        resolve4: (name) => resolver.resolve4(name).catch(() => []),
        log: () => log,
        stop: async () => {
          await stop(child, "SIGTERM", 3000);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    last = log;
    await stop(child, "SIGKILL", 1000);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`knotd did not start:\n${last}`);
}
