import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNumberingPlan } from "@centrex/dialplan";
import { openSqliteStore, type Store } from "@centrex/store";
import * as assert from "uvu/assert";
import { OperationError, type OperationErrorKind, Operations } from "../src/index.js";

export interface Fixture {
  store: Store;
  ops: Operations;
  path: string;
  /** Every row of every tenant table, to prove a refused change wrote nothing. */
  snapshot(): Promise<string>;
  done(): Promise<void>;
}

export async function fixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "centrex-ops-"));
  const path = join(dir, "ops.db");
  const store = openSqliteStore(path);
  const ops = new Operations(store, { plan: loadNumberingPlan() });
  return {
    store,
    ops,
    path,
    snapshot: async () => {
      const out: unknown[] = [];
      for (const c of await store.customers.list()) {
        out.push(c, await store.policies.get(c.id), await store.extensions.listByCustomer(c.id));
        out.push(await store.numbers.listByCustomer(c.id), await store.pins.list(c.id));
      }
      for (const c of await store.carriers.list()) out.push(c, await store.carriers.listRoutes(c.id));
      out.push(await store.audit.list({ limit: 10_000 }));
      return JSON.stringify(out);
    },
    done: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts `fn` rejects with an OperationError of `kind` naming `field`, whose message matches `re`. */
export async function rejects(
  fn: () => Promise<unknown>,
  kind: OperationErrorKind,
  field: string | undefined,
  re?: RegExp,
): Promise<OperationError> {
  try {
    await fn();
  } catch (err) {
    assert.instance(err, OperationError, String(err));
    const e = err as OperationError;
    assert.is(e.kind, kind, e.message);
    assert.is(e.field, field, e.message);
    if (re !== undefined) assert.match(e.message, re);
    assert.not.match(e.message, /\n/, "one line");
    return e;
  }
  assert.unreachable("expected a rejection");
  throw new Error("unreachable");
}

/** A customer with extension 201, as most tests start. */
export async function acme(f: Fixture): Promise<void> {
  await f.ops.addCustomer("test:setup", { name: "Acme", domain: "acme.pbx.test" });
  await f.ops.addExtension("test:setup", "acme.pbx.test", { number: "201", password: "kq7-Blue-otter-pond" });
}
