// The build layout every package follows (README "Build layout"): plain node runs the
// compiled dist/, tsx and tsc the sources. A package that breaks the pattern would make the
// production command fail (exports to .ts) or run stale code in tests.
import { execFile } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compiledIsCurrent } from "../bin/build-freshness.mjs";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const PACKAGES = readdirSync(join(ROOT, "packages")).filter((p) => !p.startsWith("."));

function runNode(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("every package exports its sources under centrex-source and dist/ to plain node", () => {
  const refs = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")).references.map(
    (r: { path: string }) => r.path,
  );
  for (const name of PACKAGES) {
    const pkg = JSON.parse(readFileSync(join(ROOT, "packages", name, "package.json"), "utf8"));
    assert.equal(pkg.name, `@centrex/${name}`, `${name}: package name`);
    assert.equal(
      pkg.exports,
      { ".": { "centrex-source": "./src/index.ts", default: "./dist/src/index.js" } },
      `${name}: package.json exports`,
    );
    assert.ok(refs.includes(`packages/${name}`), `${name}: missing from the root tsconfig.json references`);
  }
});

test("plain node loads the compiled packages, data files included", async () => {
  // Run after `tsc -b` (npm test does it first): dialplan and guard read data files that sit
  // beside src/, one level further from the compiled code.
  const script = `
    const sip = await import("@centrex/sip");
    const dialplan = await import("@centrex/dialplan");
    const guard = await import("@centrex/guard");
    const provisioning = await import("@centrex/provisioning");
    const { existsSync } = await import("node:fs");
    const plan = dialplan.loadNumberingPlan();
    const paths = [import.meta.resolve("@centrex/sip"), import.meta.resolve("@centrex/server")];
    console.log(JSON.stringify({ paths, plan: typeof plan, common: guard.commonPasswords().size, templates: existsSync(provisioning.DEFAULT_TEMPLATE_DIR), sip: Object.keys(sip).length }));
  `;
  const r = await runNode(["--input-type=module", "-e", script]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const p of out.paths) assert.match(p, /\/dist\/src\/index\.js$/);
  assert.equal(out.plan, "object");
  assert.ok(out.common > 100, "the common-password list was read");
  assert.ok(out.templates, "the phone templates folder is found");
});

test("dist/ counts as current only when built after every source change and linked", () => {
  const root = mkdtempSync(join(tmpdir(), "centrex-fresh-"));
  const dir = join(root, "packages");
  try {
    const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
    mkdirSync(join(dir, "a", "src", "sub"), { recursive: true });
    mkdirSync(join(dir, "a", "dist"), { recursive: true });
    mkdirSync(join(dir, "shipped", "dist"), { recursive: true }); // no src/: the container
    mkdirSync(join(root, "node_modules", "@centrex", "a"), { recursive: true });
    writeFileSync(join(dir, "a", "src", "sub", "x.ts"), "");
    writeFileSync(join(dir, "a", "dist", ".tsbuildinfo"), "");
    for (const p of ["a/src", "a/src/sub", "a/src/sub/x.ts"]) at(join(dir, p), 1000);
    at(join(dir, "a", "dist", ".tsbuildinfo"), 2000);
    assert.ok(compiledIsCurrent(dir), "built after the last edit");
    at(join(dir, "a", "src", "sub", "x.ts"), 3000);
    assert.not.ok(compiledIsCurrent(dir), "a file edited after the build");
    at(join(dir, "a", "src", "sub", "x.ts"), 1000);
    at(join(dir, "a", "src", "sub"), 3000);
    assert.not.ok(compiledIsCurrent(dir), "a file deleted after the build (its folder changed)");
    at(join(dir, "a", "src", "sub"), 1000);
    assert.ok(compiledIsCurrent(dir));
    rmSync(join(root, "node_modules", "@centrex", "a"), { recursive: true });
    assert.not.ok(compiledIsCurrent(dir), "a package not linked in node_modules yet");
    mkdirSync(join(root, "node_modules", "@centrex", "a"));
    rmSync(join(dir, "a", "dist", ".tsbuildinfo"));
    assert.not.ok(compiledIsCurrent(dir), "never built");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the centrex command answers from dist/ and, when forced, from the sources", async () => {
  for (const env of [process.env, { ...process.env, CENTREX_FROM_SOURCE: "1" }]) {
    const r = await runNode([join(ROOT, "packages/server/bin/centrex.mjs"), "--help"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: centrex/);
  }
});

test("a command word loads every group that adds to it (same help as when all are loaded)", async () => {
  const bin = join(ROOT, "packages/server/bin/centrex.mjs");
  const all = await runNode([bin, "--help"]);
  const words = [...all.stdout.matchAll(/^ {2}([a-z][a-z-]*)/gm)]
    .map((m) => m[1]!)
    .filter((w) => w !== "help");
  assert.ok(words.length > 10, all.stdout);
  for (let i = 0; i < words.length; i += 4) {
    await Promise.all(
      words.slice(i, i + 4).map(async (word) => {
        // `help <word>` has "help" as its first word, so it loads every group.
        const [own, full] = await Promise.all([runNode([bin, word, "--help"]), runNode([bin, "help", word])]);
        assert.equal(own.stdout, full.stdout, `centrex ${word} --help`);
      }),
    );
  }
});

test("start loads only what answers SIP before it binds; the rest after (bench/startup)", async () => {
  // Every module the ES loader loads is reported from a load hook. The switch's module and the
  // configuration's are what `start` imports before its SIP sockets answer; after-bind.js is
  // what it imports once they do, admin.js once calls are accepted. A heavy import added to the
  // first set shows up here.
  const hook = `let port; export function initialize(d) { port = d.port; }
    export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;
  const script = `
    import { register } from "node:module";
    import { MessageChannel } from "node:worker_threads";
    const { port1, port2 } = new MessageChannel();
    const seen = [];
    port1.on("message", (url) => seen.push(url));
    register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}), { data: { port: port2 }, transferList: [port2] });
    const settle = () => new Promise((r) => setTimeout(r, 200));
    await import("./packages/server/dist/src/config/load.js");
    await import("./packages/server/dist/src/switch/switch.js");
    await settle();
    const before = seen.splice(0);
    await import("./packages/server/dist/src/switch/after-bind.js");
    await import("./packages/server/dist/src/switch/admin.js");
    await settle();
    port1.close();
    console.log(JSON.stringify({ before, after: seen }));
  `;
  const r = await runNode(["--input-type=module", "-e", script]);
  assert.equal(r.code, 0, r.stderr);
  const { before, after } = JSON.parse(r.stdout) as { before: string[]; after: string[] };
  const heavy = [
    "/packages/admin/",
    "/packages/proxy/",
    "/packages/operations/",
    "/packages/provisioning/",
    "/packages/dialplan/",
    "/packages/failover/",
    "/node_modules/fastify/",
    "/node_modules/prom-client/",
  ];
  assert.ok(
    before.some((u) => u.includes("/packages/sip/")),
    before.join("\n"),
  );
  assert.ok(
    before.some((u) => u.includes("/packages/store/")),
    before.join("\n"),
  );
  for (const h of heavy) {
    assert.not.ok(
      before.find((u) => u.includes(h)),
      `${h} loaded before the bind: ${before.find((u) => u.includes(h))}`,
    );
    assert.ok(
      after.some((u) => u.includes(h)),
      `${h}: not loaded by after-bind.js or admin.js either (the list is stale)`,
    );
  }
});

test.run();
