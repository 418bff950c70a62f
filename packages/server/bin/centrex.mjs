#!/usr/bin/env node
// The `centrex` command. Production runs the compiled JavaScript that `tsc -b`
// writes to each package's dist/ (`npm ci` builds it through the root `prepare`
// script; the container ships only dist/). A checkout whose sources changed
// since the last build — or that was never built — runs the TypeScript sources
// through tsx instead (2–3 s slower to start), so the command never runs stale code.
import module from "node:module";
import { fileURLToPath } from "node:url";
import { compiledIsCurrent } from "./build-freshness.mjs";

// Node ≥ 22.1 keeps V8's compiled code between runs (in the system temp folder unless
// NODE_COMPILE_CACHE names one): a one-shot command then skips most of its compile time.
module.enableCompileCache?.();

if (
  process.env.CENTREX_FROM_SOURCE !== "1" &&
  compiledIsCurrent(fileURLToPath(new URL("../../", import.meta.url)))
) {
  await import("../dist/src/cli/main.js");
} else {
  // tsx maps `@centrex/*` to the sources through tsconfig.base.json's `paths`;
  // point it at the root tsconfig.json whatever the working directory is.
  process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL("../../../tsconfig.json", import.meta.url));
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
