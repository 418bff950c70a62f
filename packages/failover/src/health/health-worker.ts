import { Worker } from "node:worker_threads";
import type { HealthStatus } from "./types.js";

/** A request the worker hands to the main thread (everything but `GET /health`). */
export interface ForwardedRequest {
  method: string;
  path: string;
  /** The `Authorization` header, for the main thread's own check. */
  authorization: string;
  body: string;
}

export interface HealthWorkerOptions {
  address: string;
  port: number;
  /**
   * How long the main event loop may go without a beat before `GET /health` says `stalled`
   * (ms). A loop held for seconds by a SQLite write lock another process took is alive and will
   * answer again: it must not cost a takeover. A loop stuck for longer than this is treated as
   * dead by the standby.
   */
  stallMs: number;
  /** Beat period of the main loop (ms); default 50. */
  beatMs?: number;
  /**
   * How long a `GET /health` waits for a fresh status from the main loop before it answers from
   * the last beat (ms); keep it under the peer's probe timeout. Default 100.
   */
  freshMs?: number;
  /** The node's status, read on every beat (keep it cheap). */
  status(): HealthStatus;
  /** Everything but `GET /health`, run on the main thread. */
  handle?(req: ForwardedRequest): Promise<[number, unknown]>;
}

export interface HealthWorker {
  readonly address: string;
  readonly port: number;
  /** `http://host:port` (IPv6 bracketed). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The worker's code, plain JavaScript evaluated as a script so it runs the same from TypeScript
 * sources (tsx) and from compiled JavaScript. It answers `GET /health` itself, from the last
 * status the main loop sent and how long ago that was, so the answer does not wait for the main
 * loop: a killed process refuses the connection at once, a busy one still answers, a stuck one
 * answers `stalled` once `stallMs` has passed without a beat.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { stallMs, freshMs } = workerData;
let status = workerData.status;
let lastBeat = performance.now();
let nextId = 1;
const pending = new Map();
const pendingHealth = new Map();
function answerHealth(res, st, loopLagMs) {
  const stalled = loopLagMs > stallMs;
  const code = !stalled && st.role === "primary" ? 200 : 503;
  send(res, code, Object.assign({}, st, { loopLagMs, stalled }));
}
function send(res, code, payload) {
  const text = JSON.stringify(payload);
  res.writeHead(code, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on("data", (c) => { size += c.length; if (size > 65536) req.destroy(); else chunks.push(c); });
  req.on("end", () => {
    const path = (req.url || "").split("?")[0] || "";
    if (req.method === "GET" && path === "/health") {
      // Ask the main loop for a fresh status; if it cannot answer within freshMs, answer from
      // its last beat, saying how long it has been silent.
      const id = nextId++;
      const timer = setTimeout(() => {
        pendingHealth.delete(id);
        answerHealth(res, status, Math.round(performance.now() - lastBeat));
      }, freshMs);
      pendingHealth.set(id, { res, timer });
      parentPort.postMessage({ t: "status", id });
      return;
    }
    const id = nextId++;
    pending.set(id, res);
    parentPort.postMessage({ t: "req", id, method: req.method || "", path, authorization: req.headers.authorization || "", body: Buffer.concat(chunks).toString("utf8") });
  });
});
server.keepAliveTimeout = 1000;
parentPort.on("message", (m) => {
  if (m.t === "beat") { lastBeat = performance.now(); status = m.status; }
  else if (m.t === "status") {
    lastBeat = performance.now(); status = m.status;
    const h = pendingHealth.get(m.id); pendingHealth.delete(m.id);
    if (h) { clearTimeout(h.timer); answerHealth(h.res, m.status, 0); }
  }
  else if (m.t === "res") { const res = pending.get(m.id); pending.delete(m.id); if (res) send(res, m.code, m.payload); }
  else if (m.t === "close") { server.close(() => parentPort.postMessage({ t: "closed" })); server.closeAllConnections(); }
});
server.on("error", (err) => parentPort.postMessage({ t: "error", message: err.message }));
server.listen(workerData.port, workerData.address, () => {
  const a = server.address();
  parentPort.postMessage({ t: "listening", address: a.address, port: a.port, family: a.family });
});
`;

type FromWorker =
  | { t: "listening"; address: string; port: number; family: string }
  | { t: "error"; message: string }
  | { t: "closed" }
  | { t: "status"; id: number }
  | ({ t: "req"; id: number } & ForwardedRequest);

/**
 * Starts the node's HTTP endpoint on a worker thread, fed by a beat from the main loop. Health
 * is thus answered off the thread that does SQLite work, and says how long the main loop has
 * been silent (`loopLagMs`); a peer treats only `stalled` (longer than `stallMs`) or no answer
 * at all as a missed round.
 */
export function startHealthWorker(opts: HealthWorkerOptions): Promise<HealthWorker> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      address: opts.address,
      port: opts.port,
      stallMs: opts.stallMs,
      freshMs: opts.freshMs ?? 100,
      status: opts.status(),
    },
  });
  worker.unref();
  const beat = setInterval(() => worker.postMessage({ t: "beat", status: opts.status() }), opts.beatMs ?? 50);
  beat.unref();
  const onRequest = (m: { id: number } & ForwardedRequest): void => {
    const reply = (code: number, payload: unknown): void =>
      worker.postMessage({ t: "res", id: m.id, code, payload });
    if (opts.handle === undefined) {
      reply(404, { error: "not found" });
      return;
    }
    opts.handle(m).then(
      ([code, payload]) => reply(code, payload),
      (err: Error) => reply(500, { error: err.message }),
    );
  };
  return new Promise((resolve, reject) => {
    let closed: (() => void) | undefined;
    let exited = false;
    worker.on("error", (err) => {
      clearInterval(beat);
      reject(err);
    });
    worker.on("exit", () => {
      exited = true;
      clearInterval(beat);
      closed?.();
    });
    worker.on("message", (m: FromWorker) => {
      switch (m.t) {
        case "req":
          onRequest(m);
          return;
        case "status":
          worker.postMessage({ t: "status", id: m.id, status: opts.status() });
          return;
        case "error":
          clearInterval(beat);
          void worker.terminate();
          reject(new Error(`health endpoint ${opts.address}:${opts.port}: ${m.message}`));
          return;
        case "closed":
          void worker.terminate();
          return;
        case "listening": {
          const host = m.family === "IPv6" ? `[${m.address}]` : m.address;
          resolve({
            address: m.address,
            port: m.port,
            url: `http://${host}:${m.port}`,
            close: () =>
              new Promise<void>((done) => {
                clearInterval(beat);
                if (exited) return done();
                closed = done;
                worker.postMessage({ t: "close" });
              }),
          });
        }
      }
    });
  });
}
