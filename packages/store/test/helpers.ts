import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";

/** A fresh temp directory and a remover; each test file cleans up what it made. */
export function tempDir(): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "centrex-store-"));
  return {
    dir,
    file: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Asserts that `p` rejects with an instance of `type`; returns the error for further checks. */
export async function rejects<E extends Error>(
  p: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, type, `expected ${type.name}, got ${String(err)}`);
    return err as E;
  }
  assert.unreachable(`expected a ${type.name} rejection`);
  throw new Error("unreachable");
}
