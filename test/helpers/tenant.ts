import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { centrex, type RunningSwitch, startSwitch } from "./centrex.js";
import { passwordOf } from "./passwords.js";
import { SippPhones } from "./phones.js";

export interface TenantSwitch {
  readonly sw: RunningSwitch;
  /** SIPp phones of the customer (`pbx.test`). */
  readonly phones: SippPhones;
  /** Runs `centrex ARGS --db <the switch's db>` and fails the test if it fails. */
  cli(...args: string[]): Promise<string>;
}

/**
 * A running switch (with `config` as its YAML, if given) and one customer,
 * `pbx.test`, with extensions whose passwords are `passwordOf(number)`: what most
 * end-to-end tests start from.
 */
export async function startWithTenant(
  opts: { config?: string; extensions?: readonly string[] } = {},
): Promise<TenantSwitch> {
  const args: string[] = [];
  if (opts.config !== undefined) {
    const file = join(mkdtempSync(join(tmpdir(), "centrex-config-")), "centrex.yaml");
    writeFileSync(file, opts.config);
    args.push("--config", file);
  }
  const sw = await startSwitch({ args, sippPhones: true });
  const cli = async (...a: string[]) => {
    const r = await centrex([...a, "--db", sw.db]);
    assert.is(r.code, 0, `centrex ${a.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  await cli("customer", "add", "Acme", "--domain", "pbx.test");
  for (const ext of opts.extensions ?? ["201", "202"]) {
    await cli("extension", "add", "pbx.test", ext, "--password", passwordOf(ext));
  }
  return { sw, cli, phones: new SippPhones(`127.0.0.1:${sw.port}`, "pbx.test") };
}
