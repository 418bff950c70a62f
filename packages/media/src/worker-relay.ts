import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { ControlClient, type ControlFields } from "./control-client.js";
import type { ControlCommand } from "./control-protocol.js";
import { MediaNodeUnavailableError, RemoteMediaError } from "./errors.js";
import { MediaNodePool } from "./node-pool.js";
import type { MediaRelayOptions } from "./relay.js";

export interface RelayWorkersOptions extends Omit<MediaRelayOptions, "logger" | "delegate"> {
  /** How many worker processes; each owns an equal slice of [portMin, portMax]. Default 2. */
  workers?: number;
  /**
   * Node flags for the workers. Default: the parent's, plus `--import tsx` when running from .ts
   * sources; from compiled .js, the parent's without tsx (its module hooks run on a thread of
   * their own that polls while the relay is busy).
   */
  execArgv?: string[];
  /** Per request. Default 2000 ms. */
  timeoutMs?: number;
  logger?: Logger;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** The control API of one forked relay worker, over its IPC channel. */
export class WorkerMediaController extends ControlClient {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #timeoutMs: number;
  #exited = false;

  constructor(child: ChildProcess, timeoutMs = 2000) {
    super();
    this.child = child;
    this.#timeoutMs = timeoutMs;
    this.ready = new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => reject(new MediaNodeUnavailableError(`relay worker exited (${code})`)));
      child.on("message", (m: { event?: string }) => {
        if (m.event === "ready") resolve();
      });
    });
    this.ready.catch(() => {});
    child.on("message", (m: Record<string, unknown>) => this.#onMessage(m));
    child.on("exit", () => {
      this.#exited = true;
      for (const [id, p] of this.#pending) {
        clearTimeout(p.timer);
        this.#pending.delete(id);
        p.reject(new MediaNodeUnavailableError(`relay worker ${child.pid} exited`));
      }
    });
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  }

  protected request(command: ControlCommand, fields: ControlFields): Promise<unknown> {
    if (this.#exited || !this.child.connected) {
      return Promise.reject(new MediaNodeUnavailableError(`relay worker ${this.child.pid} is gone`));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new MediaNodeUnavailableError(`relay worker ${this.child.pid}: no answer to ${command}`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.child.send({ id, command, ...fields });
    });
  }

  #onMessage(m: Record<string, unknown>): void {
    if (m.event === "media-timeout" && typeof m.callId === "string") {
      this.delegate?.onMediaTimeout(m.callId);
      return;
    }
    if (typeof m.id !== "number") return;
    const p = this.#pending.get(m.id);
    if (p === undefined) return;
    this.#pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok === true) p.resolve(m.result);
    else p.reject(new RemoteMediaError(String(m.code ?? "internal"), String(m.error ?? "")));
  }
}

export interface RelayWorkers {
  /** Dispatches each call to the worker owning its ports (a MediaNodePool over the workers). */
  controller: MediaNodePool;
  workers: WorkerMediaController[];
  close(): Promise<void>;
}

/**
 * Scales the relay over cores: forks `workers` processes, each running a MediaRelay on its
 * own slice of the port range, and returns one controller for all of them.
 */
export async function startRelayWorkers(options: RelayWorkersOptions = {}): Promise<RelayWorkers> {
  const count = options.workers ?? 2;
  const min = options.portMin ?? 30000;
  const max = options.portMax ?? 39999;
  const span = Math.floor((max - min + 1) / count / 2) * 2;
  if (span < 2) throw new RangeError(`port range ${min}-${max} is too small for ${count} workers`);
  const entry = fileURLToPath(
    new URL(`./worker-main${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url),
  );
  const execArgv = options.execArgv ?? defaultExecArgv(entry);
  const { workers: _w, execArgv: _e, timeoutMs, logger, ...relayOptions } = options;
  const workers: WorkerMediaController[] = [];
  for (let i = 0; i < count; i++) {
    const slice: MediaRelayOptions = {
      ...relayOptions,
      portMin: min + i * span,
      portMax: min + (i + 1) * span - 1,
    };
    const child = fork(entry, [], {
      execArgv,
      env: { ...process.env, CENTREX_MEDIA_WORKER: JSON.stringify(slice) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    workers.push(new WorkerMediaController(child, timeoutMs));
  }
  try {
    await Promise.all(workers.map((w) => w.ready));
  } catch (err) {
    await Promise.allSettled(workers.map((w) => w.close()));
    throw err;
  }
  logger?.info({ workers: count, pids: workers.map((w) => w.child.pid) }, "relay workers started");
  const controller = new MediaNodePool(workers, logger ? { logger } : {});
  return { controller, workers, close: () => controller.close() };
}

function defaultExecArgv(entry: string): string[] {
  const own = process.execArgv;
  if (!entry.endsWith(".ts")) return withoutTsx(own);
  if (own.some((a) => a.includes("tsx"))) return own;
  return [...own, "--import", "tsx"];
}

/** `--import tsx`, `--import=tsx`, `--loader tsx`… removed: compiled code needs no loader. */
export function withoutTsx(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const loader = /^--(import|loader|experimental-loader|require)$/.test(a);
    if (loader && /^tsx(\/|$)/.test(argv[i + 1] ?? "")) {
      i++;
      continue;
    }
    if (/^--(import|loader|experimental-loader|require)=tsx(\/|$)/.test(a)) continue;
    out.push(a);
  }
  return out;
}
