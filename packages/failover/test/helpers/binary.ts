import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * Returns the absolute path of `name` (looked up in PATH plus the sbin directories, where Debian puts
 * knotd), or throws an error telling which Debian package to install. Tests call it so a missing tool
 * fails loudly instead of being skipped.
 */
export function requireBinary(name: string, debianPackage: string): string {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    `${name} is not installed: install the Debian package "${debianPackage}" (apt-get install ${debianPackage})`,
  );
}

/** Runs a binary synchronously and returns stdout (throws with stderr on a non-zero exit). */
export function run(bin: string, args: readonly string[], timeoutMs = 10_000): string {
  return execFileSync(bin, args, { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
}
