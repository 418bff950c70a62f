import { existsSync } from "node:fs";
import { openSqliteStore } from "@centrex/store";
import type { Command } from "commander";
import { print } from "./output.js";
import { CliError, type DbOptions, dbOptions, dbPath, reportExpected } from "./store-command.js";

/**
 * `centrex init`: creates an empty database (owner-only file, current schema). The one-shot
 * commands never create one, so a mistyped --db is an error rather than a new empty switch.
 */
export function registerInitCommand(program: Command): void {
  dbOptions(
    program.command("init").description("create a new, empty database (then add customers, carriers…)"),
  ).action(async (o: DbOptions) => {
    try {
      const path = await dbPath(o);
      if (existsSync(path)) throw new CliError(`--db: ${path} already exists; nothing done`);
      const store = openSqliteStore(path);
      const version = store.schemaVersion;
      await store.close();
      print(`database ${path} created (schema version ${version})`);
    } catch (err) {
      if (!reportExpected(err)) throw err;
    }
  });
}
