import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { runToEnd, stop } from "./processes.js";

export const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "packages", "server", "bin", "centrex.mjs");

export interface RunningSwitch {
  child: ChildProcess;
  address: string;
  port: number;
  db: string;
  /** Everything the process logged so far (pino JSON lines). */
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `centrex start` on loopback with a fresh database; resolves once it listens. */
export async function startSwitch(
  opts: { address?: string; port?: number; db?: string; args?: string[] } = {},
): Promise<RunningSwitch> {
  const address = opts.address ?? "127.0.0.1";
  const port = opts.port ?? (await freePort(address));
  const db = opts.db ?? join(mkdtempSync(join(tmpdir(), "centrex-e2e-")), "centrex.db");
  const child = spawn(
    process.execPath,
    [BIN, "start", "--db", db, "--sip-address", address, "--sip-port", String(port), ...(opts.args ?? [])],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`centrex did not start in 20 s:\n${out}`)), 20_000);
    const check = () => {
      if (out.includes('"event":"started"')) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`centrex exited with ${code} before starting:\n${out}`));
    });
  });
  return { child, address, port, db, logs: () => out, stop: (signal) => stop(child, signal) };
}

/** Runs a one-shot `centrex …` command (customer add, extension add…). */
export async function centrex(args: string[]) {
  return runToEnd(process.execPath, [BIN, ...args], 30_000);
}
