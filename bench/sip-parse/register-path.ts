/**
 * A/B of @centrex/sip's per-message work on the REGISTER path, between this checkout and an
 * earlier revision, in one process: what the stack does with each REGISTER before the registrar
 * (parse, validate, the received/rport stamp, the reads of From, To, Contact, Authorization,
 * Expires) and the challenge it writes (a 401 with WWW-Authenticate, serialized).
 *
 *   npx tsx bench/sip-parse/register-path.ts [--base REV] [--seconds N]
 *
 * `--base` (default `main`): the revision's packages/sip is extracted with `git archive` into a
 * temporary directory and compiled with this checkout's TypeScript (the package has no runtime
 * dependency). Both builds are imported side by side; after a warm-up they run in alternating
 * 100 ms slices for `seconds` each (default 4), so load from other processes hits both alike,
 * and the figure is CPU time per message (process.cpuUsage), base and this checkout, and their
 * ratio. 4,096 distinct REGISTERs (branch, Call-ID) are cycled through, a phone's Via with
 * `rport` as SIPp and most desk phones send it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { REGISTER } from "./corpus.js";

type Sip = typeof import("../../packages/sip/src/index.js");

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const { values } = parseArgs({
  options: { base: { type: "string", default: "main" }, seconds: { type: "string", default: "4" } },
});
const seconds = Number(values.seconds);

function buildBase(rev: string): string {
  const dir = mkdtempSync(join(tmpdir(), "sip-register-path-"));
  const archive = execFileSync("git", ["-C", ROOT, "archive", rev, "packages/sip", "tsconfig.base.json"]);
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", join(dir, "packages/sip/tsconfig.json")], {
    stdio: "inherit",
  });
  return dir;
}

// The corpus's REGISTER (a Yealink's), without its credentials — the first leg, answered 401 —
// each copy with its own branch and Call-ID, so none is a retransmission of another.
const FIRST_LEG = REGISTER.toString("latin1").replace(/^Authorization:.*\r\n/m, "");

function register(branch: string, callId: string): Buffer {
  return Buffer.from(
    FIRST_LEG.replace("z9hG4bK2019364118", branch).replace("1453622393@127.0.0.1", callId),
    "latin1",
  );
}

const N = 4096;
const messages: Buffer[] = [];
for (let i = 0; i < N; i++)
  messages.push(register(`z9hG4bK-${i}-${(i * 2654435761) >>> 0}`, `${i}-bench@127.0.0.1`));
const source = {
  transport: "UDP",
  remoteAddress: "127.0.0.1",
  remotePort: 5062,
  family: 4,
  localAddress: "127.0.0.1",
  localPort: 5060,
} as const;
const CHALLENGE =
  'Digest realm="centrex", nonce="AAABk5v0xCAfV1lb3p2d0b1y2Jx8x1sJYgq5aRmsl3Gcbo1s", algorithm=MD5, qop="auth"';
let sink = 0;

function once(sip: Sip, data: Buffer): void {
  const req = sip.parseMessage(data) as ReturnType<Sip["parseMessage"]> & { kind: "request" };
  req.validate();
  sip.stampVia(req, source);
  sink += (req.via[0]?.branch?.length ?? 0) + req.from.uri.raw.length + req.to.uri.raw.length;
  sink += (req.get("authorization") ?? "").length + req.contact.length + (req.get("expires") ?? "").length;
  const res = sip.createResponse(req, 401, undefined, { headers: [["WWW-Authenticate", CHALLENGE]] });
  sink += res.toBuffer().length;
}

/**
 * The accepted REGISTER's server transaction, alone: a request (parsed) into the transaction
 * layer with a per-source limit as the server configures one, the TU's 200 sent, Timer J fired
 * on a fake clock and the transaction removed — 4,096 per batch.
 */
interface TxSide {
  sip: Sip;
  clock: InstanceType<Sip["FakeClock"]>;
  layer: InstanceType<Sip["TransactionLayer"]>;
  requests: Buffer[];
}

function txSide(sip: Sip): TxSide {
  const clock = new sip.FakeClock();
  const user = {
    onRequest(req: Parameters<Sip["createResponse"]>[0], tx: { respond(r: unknown): void } | undefined) {
      tx?.respond(sip.createResponse(req, 200, undefined, { toTag: "x" }));
    },
    onStrayResponse() {},
  };
  const transport = { send() {}, sendStateless() {}, isReliable: () => false };
  const layer = new sip.TransactionLayer(transport as never, user as never, {
    clock,
    maxServerTransactionsPerSource: 1_000_000,
  });
  return { sip, clock, layer, requests: messages };
}

const TARGET = { transport: "UDP", address: "127.0.0.1", port: 5062 } as const;

function txBatch(t: TxSide): number {
  for (const data of t.requests) t.layer.receiveRequest(t.sip.parseMessage(data) as never, TARGET);
  t.clock.advance(32_001);
  return t.requests.length;
}

/** CPU µs per unit of `run(side)` for each side, in alternating slices of ~100 ms. */
function compare<S>(sides: S[], run: (side: S) => number): number[] {
  const done = [0, 0];
  const cpuUs = [0, 0];
  while ((cpuUs[0] as number) < seconds * 1e6 || (cpuUs[1] as number) < seconds * 1e6) {
    for (const i of [0, 1]) {
      const side = sides[i] as S;
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      let n = 0;
      while (process.hrtime.bigint() - t0 < 100_000_000n) n += run(side);
      const c = process.cpuUsage(c0);
      done[i] = (done[i] as number) + n;
      cpuUs[i] = (cpuUs[i] as number) + c.user + c.system;
    }
  }
  return done.map((n, i) => (cpuUs[i] as number) / n);
}

function report(what: string, [baseUs, newUs]: number[], load: string | undefined): void {
  process.stdout.write(
    `${what}, CPU per message: ${values.base} ${baseUs?.toFixed(2)} µs, this checkout ${newUs?.toFixed(2)} µs ` +
      `(${((1 - (newUs as number) / (baseUs as number)) * 100).toFixed(1)} % less; load average ${load} at start)${sink > 0 ? "" : " !"}\n`,
  );
}

const baseDir = buildBase(values.base);
try {
  const sides: Sip[] = [
    (await import(pathToFileURL(join(baseDir, "packages/sip/dist/src/index.js")).href)) as Sip,
    (await import(pathToFileURL(join(ROOT, "packages/sip/dist/src/index.js")).href)) as Sip,
  ];
  for (let w = 0; w < 20_000; w++) for (const s of sides) once(s, messages[w % N] as Buffer);
  let k = 0;
  let load = loadavg()[0]?.toFixed(2);
  report(
    "REGISTER path (parse, validate, stamp, reads, 401 written)",
    compare(sides, (sip) => {
      for (let j = 0; j < 64; j++) once(sip, messages[k++ % N] as Buffer);
      return 64;
    }),
    load,
  );
  const txs = sides.map(txSide);
  for (let w = 0; w < 5; w++) for (const t of txs) txBatch(t);
  load = loadavg()[0]?.toFixed(2);
  report("server transaction (request in, 200, Timer J, removed)", compare(txs, txBatch), load);
} finally {
  rmSync(baseDir, { recursive: true, force: true });
}
