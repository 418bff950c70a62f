import { openSqliteStore, type Store, StoreError } from "@centrex/store";
import type { Command } from "commander";
import { printError } from "./output.js";

/** What every one-shot command that works on the database accepts. */
export interface DbOptions {
  db?: string;
  config?: string;
}

/** A usage error of a one-shot command: printed on one line, exit code 2. */
export class CliError extends Error {
  override name = "CliError";
}

/**
 * The database a one-shot command works on: --db, else the config file's, else the default.
 * The config loader (zod, yaml) is imported only when a config file is named: a one-shot
 * command must start fast.
 */
export async function dbPath(o: DbOptions): Promise<string> {
  if (o.db !== undefined) return o.db;
  if (o.config !== undefined) {
    const { loadConfigFile } = await import("../config/load.js");
    return loadConfigFile(o.config).store.path;
  }
  return "./centrex.db";
}

export function dbOptions(cmd: Command): Command {
  return cmd
    .option("--db <path>", "SQLite database file (default: the config's, else ./centrex.db)")
    .option("--config <file>", "read the database path from this configuration file");
}

/**
 * Opens the store, runs `fn`, closes it. Expected errors (bad input, unknown
 * names, conflicts) become one line on stderr and exit code 2; the running
 * switch sees every change on its next lookup.
 */
export async function withStore(o: DbOptions, fn: (store: Store) => Promise<void>): Promise<void> {
  let store: Store | undefined;
  try {
    store = openSqliteStore(await dbPath(o));
    await fn(store);
  } catch (err) {
    if (err instanceof StoreError || err instanceof CliError || (await isBillingError(err))) {
      printError(`centrex: ${(err as Error).message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  } finally {
    await store?.close();
  }
}

/** Billing's errors are expected ones too; billing is loaded only once there is an error to test. */
async function isBillingError(err: unknown): Promise<boolean> {
  const { BillingError } = await import("@centrex/billing");
  return err instanceof BillingError;
}

export async function customerByDomain(store: Store, domain: string) {
  const c = await store.customers.findByDomain(domain.toLowerCase());
  if (c === undefined) throw new CliError(`no customer with domain ${domain}`);
  return c;
}
