import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CdrInput } from "../src/index.js";

export function tempDir(): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "centrex-billing-"));
  return {
    dir,
    file: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const T0 = Date.UTC(2026, 2, 10, 9, 0, 0); // Tue 10 March 2026, 10:00 in Paris

/** An answered outbound call of `seconds`, starting `at`. */
export function call(n: number, over: Partial<CdrInput> = {}): CdrInput {
  const startedAt = over.startedAt ?? T0 + n * 60_000;
  return {
    callId: `call-${n}@pbx.test`,
    customerId: 1,
    extension: "201",
    direction: "outbound",
    caller: "+33123456789",
    dialled: "0612345678",
    called: "+33612345678",
    destinationClass: "fr-mobile",
    carrier: "carrier-a",
    startedAt,
    answeredAt: startedAt + 5_000,
    endedAt: startedAt + 5_000 + 42_300,
    disposition: "answered",
    ...over,
  };
}
