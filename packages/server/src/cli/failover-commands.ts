import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { BackupError, type BackupResult, backup, restore } from "@centrex/failover";
import { sqliteHandle } from "@centrex/store";
import type { Command } from "commander";
import { parseDocument } from "yaml";
import { type FailoverConfig, failoverConfigSchema } from "../switch/failover/config.js";
import { type ControlReply, callControl } from "../switch/failover/control-client.js";
import { print, printError } from "./output.js";
import {
  CliError,
  type DbOptions,
  dbOptions,
  dbPath,
  openExistingStore,
  reportExpected,
} from "./store-command.js";

/** Takes an online, checksummed copy of the database (the switch may be running). */
export async function runBackup(o: { db: string; dir: string }): Promise<BackupResult> {
  const store = openExistingStore(o.db);
  try {
    return await backup(sqliteHandle(store), o.dir);
  } finally {
    await store.close();
  }
}

/** Verifies `file` against `file.sha256` and puts it in place of `db` (the node must be stopped). */
export async function runRestore(file: string, db: string): Promise<{ sha256: string }> {
  if (!existsSync(file)) throw new CliError(`restore: backup file ${file} does not exist`);
  return restore(file, db);
}

/** The `failover:` section of a configuration file, validated on its own. */
export function readFailoverSection(path: string): FailoverConfig {
  const doc = parseDocument(readFileSync(path, "utf8"));
  if (doc.errors.length > 0) throw new CliError(`${path}: invalid YAML: ${doc.errors[0]?.message}`);
  const raw = (doc.toJS() as { failover?: unknown } | null)?.failover;
  if (raw === undefined) throw new CliError(`${path}: no failover section`);
  const r = failoverConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CliError(`${path}: key "failover.${issue?.path.map(String).join(".")}": ${issue?.message}`);
  }
  return r.data;
}

export interface FailbackTargets {
  /** Health/control base URLs of the two nodes, in any order. */
  nodes: readonly [string, string];
  secret: string;
  /** Per catch-up wait. Default 60 s. */
  timeoutMs?: number;
  /** Go on even though calls are up on the active node (their records may stay on it alone). */
  force?: boolean;
}

export interface FailbackReport {
  active: string;
  repaired: string;
  epoch: number;
  /** From quiescing the active node to the repaired node serving. */
  switchMs: number;
  dnsSwitched: boolean;
}

function expectOk(r: ControlReply, what: string): Record<string, unknown> {
  if (r.status !== 200) throw new CliError(`${what}: HTTP ${r.status}: ${String(r.body.error ?? "")}`);
  return r.body;
}

/**
 * Failback across the two running nodes, through their control endpoints: the repaired node
 * (standby, following the active one) catches up; the active stops taking new calls; the
 * repaired node catches up again (nothing can be missing now), takes the primary role with a
 * higher epoch and the DNS name; the old active steps down and follows it. If anything fails
 * before the promotion, the active resumes and nothing moved.
 */
export async function runFailback(t: FailbackTargets): Promise<FailbackReport> {
  const timeoutMs = t.timeoutMs ?? 60_000;
  const health = await Promise.all(
    t.nodes.map(async (url) => {
      const r = await callControl(url, t.secret, "GET", "/health", undefined, 5000).catch((err: Error) => {
        throw new CliError(`${url}: unreachable: ${err.message}`);
      });
      return { url, status: r.body };
    }),
  );
  const active = health.find((h) => h.status.role === "primary");
  const repaired = health.find((h) => h.status.role === "standby");
  if (active === undefined || repaired === undefined)
    throw new CliError(
      `failback needs one primary and one standby; roles are ${health.map((h) => `${h.url}=${String(h.status.role)}`).join(", ")}`,
    );
  const repl = repaired.status.replication as { following?: boolean; connected?: boolean } | undefined;
  if (repl?.following !== true || repl.connected !== true)
    throw new CliError(
      `${repaired.url} is not replicating from ${active.url}: start it with --role standby first`,
    );
  const openCalls = Number(active.status.openCalls ?? 0);
  if (openCalls > 0 && t.force !== true)
    throw new CliError(
      `${openCalls} call(s) up on ${active.url}: fail back when none is (outside business hours), or use --force`,
    );
  expectOk(
    await callControl(repaired.url, t.secret, "POST", "/failover/catch-up", { timeoutMs }),
    "catch-up",
  );
  const start = Date.now();
  expectOk(await callControl(active.url, t.secret, "POST", "/failover/quiesce"), "quiesce");
  let promoted: Record<string, unknown>;
  try {
    promoted = expectOk(
      await callControl(repaired.url, t.secret, "POST", "/failover/promote", {
        timeoutMs,
        activeEpoch: Number(active.status.epoch),
      }),
      "promote",
    );
  } catch (err) {
    await callControl(active.url, t.secret, "POST", "/failover/resume").catch(() => undefined);
    throw err;
  }
  const switchMs = Date.now() - start;
  expectOk(await callControl(active.url, t.secret, "POST", "/failover/demote"), "demote");
  const takeover = promoted.takeover as { epoch: number; dnsSwitchedAt?: number };
  return {
    active: active.url,
    repaired: repaired.url,
    epoch: takeover.epoch,
    switchMs,
    dnsSwitched: takeover.dnsSwitchedAt !== undefined,
  };
}

function baseUrl(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

async function cli(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof BackupError) {
      printError(`centrex: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    if (!(await reportExpected(err))) throw err;
  }
}

/** `centrex backup`, `centrex restore`, `centrex failback`. */
export function registerFailoverCommands(program: Command): void {
  dbOptions(
    program
      .command("backup")
      .description("take an online, checksummed copy of the database (the switch may be running)")
      .option("--dir <dir>", "where to write it (default: failover.backup.dir, else ./backups)"),
  ).action((o: DbOptions & { dir?: string }) =>
    cli(async () => {
      const dir = o.dir ?? (o.config !== undefined ? configBackupDir(o.config) : undefined) ?? "./backups";
      const r = await runBackup({ db: await dbPath(o), dir });
      print(`${r.file}\n  sha256 ${r.sha256}  ${r.bytes} bytes`);
    }),
  );

  dbOptions(
    program
      .command("restore")
      .argument("<file>", "a backup taken by `centrex backup` (its .sha256 must sit beside it)")
      .description("verify a backup's checksum and put it in place of the database (stop the node first)"),
  ).action((file: string, o: DbOptions) =>
    cli(async () => {
      const db = await dbPath(o);
      const r = await runRestore(file, db);
      print(`restored ${file} to ${db} (sha256 ${r.sha256})`);
    }),
  );

  program
    .command("failback")
    .description(
      "hand the primary role back to the repaired node (both nodes running, repaired one as standby)",
    )
    .requiredOption("--config <file>", "this node's configuration (failover section: secret, health, peer)")
    .option("--timeout <ms>", "longest wait for the repaired node to catch up", "60000")
    .option("--force", "go on even though calls are up on the active node")
    .action((o: { config: string; timeout: string; force?: boolean }) =>
      cli(async () => {
        const f = readFailoverSection(o.config);
        const own = baseUrl(f.health.address === "0.0.0.0" ? "127.0.0.1" : f.health.address, f.health.port);
        const peer = baseUrl(f.peer.host, f.peer.healthPort);
        const r = await runFailback({
          nodes: [own, peer],
          secret: f.secret,
          timeoutMs: Number(o.timeout),
          ...(o.force === true && { force: true }),
        });
        print(
          `failback done: ${r.repaired} is primary (epoch ${r.epoch}), ${r.active} follows it; ` +
            `new calls waited ${r.switchMs} ms; DNS ${r.dnsSwitched ? "switched" : "NOT switched (retrying)"}`,
        );
      }),
    );
}

function configBackupDir(path: string): string | undefined {
  try {
    return readFailoverSection(path).backup?.dir;
  } catch {
    return undefined;
  }
}
