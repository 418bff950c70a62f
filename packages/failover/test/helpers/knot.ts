import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireBinary } from "./binary.js";
import { query, udpExchange } from "./dns-client.js";
import { freePort } from "./free-port.js";

export interface KnotOptions {
  zone: string;
  keyName: string;
  /** base64 HMAC-SHA256 secret. */
  secret: string;
  /** Zone file body (relative names allowed: $ORIGIN is the zone). */
  zoneBody: string;
}

export interface KnotInstance {
  port: number;
  dir: string;
  pid: number;
  log(): string;
  stop(): Promise<void>;
}

/** The knot.conf we run; the README shows the same shape. */
export function knotConfig(dir: string, port: number, o: KnotOptions): string {
  return `server:
    rundir: "${join(dir, "run")}"
    listen: 127.0.0.1@${port}
log:
  - target: stderr
    any: info
database:
    storage: "${join(dir, "storage")}"
key:
  - id: ${o.keyName}
    algorithm: hmac-sha256
    secret: ${o.secret}
acl:
  - id: failover-update
    key: ${o.keyName}
    action: update
template:
  - id: default
    storage: "${join(dir, "zones")}"
    file: "%s.zone"
zone:
  - domain: ${o.zone}
    acl: failover-update
`;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts a real Knot DNS (`knotd`, foreground) on 127.0.0.1 and a free port, with everything in a temp
 * directory, and waits until it serves the zone's SOA. Throws (never skips) when knotd is missing.
 */
export async function startKnot(o: KnotOptions): Promise<KnotInstance> {
  const knotd = requireBinary("knotd", "knot");
  const dir = mkdtempSync(join(tmpdir(), "centrex-knot-"));
  for (const sub of ["run", "storage", "zones"]) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, "zones", `${o.zone}.zone`), `$ORIGIN ${o.zone}.\n$TTL 30\n${o.zoneBody}\n`);
  let lastLog = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    writeFileSync(join(dir, "knot.conf"), knotConfig(dir, port, o));
    const child = spawn(knotd, ["-c", join(dir, "knot.conf")], { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    const stop = async (): Promise<void> => {
      child.kill("SIGTERM");
      if (!(await waitExit(child, 5000))) {
        child.kill("SIGKILL");
        await waitExit(child, 2000);
      }
    };
    const deadline = Date.now() + 8000;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null) {
      const reply = await udpExchange(port, query(o.zone, "SOA"), 200).catch(() => undefined);
      if (reply !== undefined && (reply.readUInt16BE(2) & 0xf) === 0) {
        ready = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (ready && !log.includes("cannot bind")) {
      return {
        port,
        dir,
        pid: child.pid ?? -1,
        log: () => log,
        stop: async () => {
          await stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    lastLog = log;
    await stop();
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`knotd did not start:\n${lastLog}`);
}
