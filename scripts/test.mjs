#!/usr/bin/env node
// The one test command (`npm test`): installs what is missing, type-checks,
// lints, runs every package's uvu suite and the end-to-end suite, and ends
// with a single `N passed, N failed` line summing them all.
//
// Plain JavaScript with no dependencies, so it runs before `npm ci`.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SUITE_TIMEOUT_MS = Number(process.env.CENTREX_SUITE_TIMEOUT_MS ?? 10 * 60_000);
const only = process.argv.slice(2); // optional: suite names to run, e.g. `npm test -- sip`

function log(line) {
  process.stdout.write(`${line}\n`);
}

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  return r.status === 0;
}

function has(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function ensureNpmPackages() {
  const marker = join(root, "node_modules", ".package-lock.json");
  const lock = join(root, "package-lock.json");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return true;
  return run("npm", ["ci", "--no-audit", "--no-fund"]);
}

function ensureDebianPackages() {
  const wanted = readFileSync(join(root, "scripts", "system-packages.txt"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(/\s+/));
  const missing = [...new Set(wanted.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return true;
  if (process.getuid?.() !== 0) {
    log(`missing Debian packages (run as root, or: sudo apt-get install ${missing.join(" ")})`);
    return false;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  return (
    run("apt-get", ["update", "-qq"], { env }) &&
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env })
  );
}

/** Every folder holding `*.test.ts` files: each package's `test/`, then the top-level `test/`. */
function suites() {
  const out = [];
  const pkgs = join(root, "packages");
  for (const name of readdirSync(pkgs).sort()) {
    const dir = join(pkgs, name, "test");
    if (existsSync(dir)) out.push({ name, dir });
  }
  // End-to-end files run one process each: they start real peers and servers, so a file
  // that hangs loses only its own results, and each file's time is printed.
  const e2e = join(root, "test");
  if (existsSync(e2e)) {
    for (const file of readdirSync(e2e).sort()) {
      if (file.endsWith(".test.ts"))
        out.push({ name: `e2e/${file.replace(/\.test\.ts$/, "")}`, dir: e2e, file });
    }
  }
  return out.filter((s) => only.length === 0 || only.some((o) => s.name === o || s.name.startsWith(`${o}/`)));
}

/** Stops the running suite's process group (set while a suite runs). */
let stopCurrent = () => {};
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    // The suites run in process groups of their own, out of the terminal's reach.
    stopCurrent();
    process.exit(130);
  });
}

function runSuite(suite) {
  return new Promise((resolve) => {
    const args = [
      join(root, "node_modules", "uvu", "bin.js"),
      "-r",
      "tsx",
      relative(root, suite.dir),
      suite.file ? `^${suite.file.replace(/\./g, "\\.")}$` : "\\.test\\.ts$",
    ];
    log(`\n=== ${suite.name} ===`);
    const started = Date.now();
    // Its own process group, so that the servers and peers a suite started can be stopped with
    // it when it hangs.
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const killGroup = () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    stopCurrent = killGroup;
    let text = "";
    let lingering;
    let hung = false;
    const onData = (chunk) => {
      text += chunk;
      process.stdout.write(chunk);
      // uvu has printed its report: the file is done. A process that outlives it by 30 s is
      // held open by something the suite started and did not stop (a hook that failed before
      // its cleanup, say): stop the group rather than wait for the suite timeout.
      if (lingering === undefined && /Duration:/.test(text)) {
        lingering = setTimeout(() => {
          hung = true;
          log(`\n${suite.name}: still running 30 s after its report: stopping what it left running`);
          killGroup();
        }, 30_000);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => {
      hung = true;
      log(`\n${suite.name}: timed out after ${SUITE_TIMEOUT_MS} ms`);
      killGroup();
    }, SUITE_TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      clearTimeout(lingering);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strip ANSI colours
      const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
      const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
      let failed = total - passed - skipped;
      // A suite that crashed, hung or left something running counts at least one failure.
      if ((code !== 0 || hung) && failed === 0) failed = 1;
      log(
        `--- ${suite.name}: ${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      resolve({ passed, failed, skipped });
    });
  });
}

async function main() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const check = (ok) => (ok ? passed++ : failed++);

  if (!ensureNpmPackages()) {
    log("0 passed, 1 failed");
    process.exit(1);
  }
  check(ensureDebianPackages());
  check(run(join(root, "node_modules", ".bin", "tsc"), ["-b"]));
  check(run(join(root, "node_modules", ".bin", "biome"), ["check", "--error-on-warnings", "."]));

  for (const suite of suites()) {
    const r = await runSuite(suite);
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
  }
  log("");
  log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => {
  log(String(err?.stack ?? err));
  log("0 passed, 1 failed");
  process.exit(1);
});
