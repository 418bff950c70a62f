// Whether the compiled dist/ of every package is current, for bin/centrex.mjs. Plain
// JavaScript: it runs before anything is compiled.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Newest modification time under `dir` (files and folders, so a deletion counts too). */
function newestUnder(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const name of readdirSync(dir, { recursive: true })) {
    const t = statSync(join(dir, name)).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/**
 * True when every package under `packagesDir` that has a `src/` has a `dist/.tsbuildinfo`
 * at least as new as the newest file or folder in it (`tsc -b` rewrites that file on every
 * build that saw a change), and is linked in node_modules/@centrex. A package without `src/`
 * (the container ships only dist/) counts as current. About 2 ms for the whole repository.
 */
export function compiledIsCurrent(packagesDir) {
  for (const pkg of readdirSync(packagesDir)) {
    let sourceTime;
    try {
      sourceTime = newestUnder(join(packagesDir, pkg, "src"));
    } catch {
      continue;
    }
    let builtTime;
    try {
      builtTime = statSync(join(packagesDir, pkg, "dist", ".tsbuildinfo")).mtimeMs;
    } catch {
      return false;
    }
    if (sourceTime > builtTime) return false;
    // Compiled code finds its sibling packages through node_modules: a package added since the
    // last `npm install` is not linked yet (tsx resolves the sources without the link).
    try {
      statSync(join(packagesDir, "..", "node_modules", "@centrex", pkg));
    } catch {
      return false;
    }
  }
  return true;
}
