import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import type { Operations, OperationsOptions } from "@centrex/operations";
import { openSqliteStore, type Store, StoreError } from "@centrex/store";
import type { Command } from "commander";
import { EXIT_USAGE, printError, printJson } from "./output.js";

// Start-up time: a one-shot command must answer fast, so the config loader (zod, yaml),
// billing and the operations layer are imported only by the commands (or errors) that need them.

/** What every one-shot command that works on the database accepts. */
export interface DbOptions {
  db?: string;
  config?: string;
}

/** A usage or input error of a one-shot command: printed on one line, exit code 2. */
export class CliError extends Error {
  override name = "CliError";
}

/** The database a one-shot command works on: --db, else the config file's, else the default. */
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
    .option("--config <file>", "read the database path (and numbering plan) from this configuration file");
}

/** Adds --json to a list or show command. */
export function jsonOption(cmd: Command): Command {
  return cmd.option("--json", "print JSON instead of text (for scripts)");
}

/**
 * Opens an existing database. A one-shot command never creates one: a mistyped --db would
 * otherwise make a new empty file and report success on it (`centrex init` and `start` create).
 */
export function openExistingStore(path: string): Store {
  if (path !== ":memory:" && !existsSync(path))
    throw new CliError(`--db: database ${path} does not exist (create it with "centrex init --db ${path}")`);
  return openSqliteStore(path);
}

/** Maps what a command threw to one line on stderr and exit 2; anything unexpected propagates. */
export async function reportExpected(err: unknown): Promise<boolean> {
  if (await isExpected(err)) {
    printError(`centrex: ${(err as Error).message.replaceAll("\n", " ")}`);
    process.exitCode = EXIT_USAGE;
    return true;
  }
  return false;
}

/** Bad input, unknown names, conflicts, refusals; the modules are loaded only once there is an error. */
async function isExpected(err: unknown): Promise<boolean> {
  if (err instanceof CliError || err instanceof StoreError) return true;
  if (!(err instanceof Error)) return false;
  const [{ OperationError }, { BillingError }, { DialplanDataError }, { ConfigError }] = await Promise.all([
    import("@centrex/operations"),
    import("@centrex/billing"),
    import("@centrex/dialplan"),
    import("../config/load.js"),
  ]);
  return (
    err instanceof OperationError ||
    err instanceof BillingError ||
    err instanceof DialplanDataError ||
    err instanceof ConfigError
  );
}

/**
 * Opens the store, runs `fn`, closes it. Expected errors (bad input, unknown names, conflicts,
 * rules refusing a change) become one line on stderr and exit code 2; the running switch sees
 * every change on its next lookup.
 */
export async function withStore(o: DbOptions, fn: (store: Store) => Promise<void>): Promise<void> {
  let store: Store | undefined;
  try {
    store = openExistingStore(await dbPath(o));
    await fn(store);
  } catch (err) {
    if (!(await reportExpected(err))) throw err;
  } finally {
    await store?.close();
  }
}

export interface ChangeOptions extends DbOptions {
  by?: string;
}

/** Adds the database options and --by to a command that changes tenant data. */
export function changeOptions(cmd: Command): Command {
  return dbOptions(cmd).option(
    "--by <who>",
    "on whose request (e.g. the customer's administrator); recorded in the audit log with your login",
  );
}

/** Who the audit log records for a CLI change: the OS login, and on whose request if given. */
export function cliActor(o: ChangeOptions): string {
  let login: string;
  try {
    login = userInfo().username;
  } catch {
    login = process.env.USER ?? "unknown";
  }
  const by = o.by?.trim();
  return by ? `cli:${login} for ${by}` : `cli:${login}`;
}

/**
 * Like withStore, with the operations layer (rules + audit) every tenant change goes through;
 * `parts` adds what some families need (the phone inventory).
 */
export async function withOps(
  o: DbOptions,
  fn: (ops: Operations) => Promise<void>,
  parts?: (store: Store) => Promise<Partial<OperationsOptions>>,
): Promise<void> {
  await withStore(o, async (store) => {
    const [{ Operations }, { loadNumberingPlan }] = await Promise.all([
      import("@centrex/operations"),
      import("@centrex/dialplan"),
    ]);
    let planPath: string | undefined;
    if (o.config !== undefined) {
      const { loadConfigFile } = await import("../config/load.js");
      planPath = loadConfigFile(o.config).dialplan.numberingPlan;
    }
    const extra = parts === undefined ? {} : await parts(store);
    await fn(new Operations(store, { ...extra, plan: loadNumberingPlan(planPath) }));
  });
}

/** Prints `value` as JSON when --json was given, else calls `text`. */
export function output(o: { json?: boolean }, value: unknown, text: () => void): void {
  if (o.json === true) printJson(value);
  else text();
}

/** The customer with this domain, for commands outside the operations layer (billing). */
export async function customerByDomain(store: Store, domain: string) {
  const c = await store.customers.findByDomain(domain.toLowerCase());
  if (c === undefined) throw new CliError(`--customer: no customer with domain "${domain}"`);
  return c;
}
