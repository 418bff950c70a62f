import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "@centrex/store";
import { passwordOf } from "./passwords.js";

/**
 * A fresh database with one customer and its extensions (passwords `passwordOf(number)`),
 * written through the store: for tests about something else than tenant commands, where
 * three CLI start-ups would cost seconds each on a loaded machine.
 */
export async function createTenant(domain: string, extensions: readonly string[]): Promise<string> {
  const db = join(mkdtempSync(join(tmpdir(), "centrex-db-")), "centrex.db");
  const store = openSqliteStore(db);
  try {
    const c = await store.customers.create({ name: "Acme", domain });
    for (const number of extensions) {
      await store.extensions.create({ customerId: c.id, number, password: passwordOf(number) });
    }
  } finally {
    await store.close();
  }
  return db;
}
