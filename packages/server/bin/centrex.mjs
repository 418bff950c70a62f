#!/usr/bin/env node
// The `centrex` command. Production runs the compiled JavaScript that `tsc -b`
// writes to each package's dist/ (`npm ci` builds it through the root `prepare`
// script; the container ships only dist/). A checkout whose sources changed
// since the last build — or that was never built — runs the TypeScript sources
// through tsx instead (2–3 s slower to start), so the command never runs stale code.
import { readdirSync, statSync } from "node:fs";

const packagesDir = new URL("../../", import.meta.url);

/** Newest modification time under `dir` (files and folders, so a deletion counts too). */
function newestUnder(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const name of readdirSync(dir, { recursive: true })) {
    const t = statSync(new URL(name, dir)).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/** True when every package that has sources here has a build at least as new as them. */
function compiledIsCurrent() {
  for (const pkg of readdirSync(packagesDir)) {
    const src = new URL(`${pkg}/src/`, packagesDir);
    let sourceTime;
    try {
      sourceTime = newestUnder(src);
    } catch {
      continue; // no sources shipped (the container): dist/ is all there is
    }
    let builtTime;
    try {
      builtTime = statSync(new URL(`${pkg}/dist/.tsbuildinfo`, packagesDir)).mtimeMs;
    } catch {
      return false;
    }
    if (sourceTime > builtTime) return false;
  }
  return true;
}

if (process.env.CENTREX_FROM_SOURCE !== "1" && compiledIsCurrent()) {
  await import("../dist/src/cli/main.js");
} else {
  // tsx maps `@centrex/*` to the sources through tsconfig.base.json's `paths`;
  // point it at that file whatever the working directory is.
  process.env.TSX_TSCONFIG_PATH ??= new URL("../../../tsconfig.json", import.meta.url).pathname;
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
