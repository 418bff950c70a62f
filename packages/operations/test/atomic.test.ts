import { loadNumberingPlan } from "@centrex/dialplan";
import type { Store } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Operations } from "../src/index.js";
import { acme, fixture } from "./helpers.js";

// Every change runs as ONE store transaction with its audit entry: a failure at any step after
// the first write (here injected: the disk refusing the audit row, or the second row of a
// change) leaves every table as it was.

const D = "acme.pbx.test";
const DISK = "disk I/O error (injected)";

/** `store`, whose transactions see `repo.method` fail. */
function failing(store: Store, repo: keyof Store, method: string): Store {
  const breakIn = (tx: Store): Store => ({
    ...tx,
    [repo]: new Proxy(tx[repo] as object, {
      get: (t, p) => (p === method ? () => Promise.reject(new Error(DISK)) : Reflect.get(t, p, t)),
    }),
  });
  return { ...store, transaction: (fn) => store.transaction((tx) => fn(breakIn(tx))) };
}

test("a change that fails half-way leaves the store as it was, for every multi-row change", async () => {
  const f = await fixture();
  try {
    await acme(f);
    await f.ops.addNumber("test:setup", D, {
      e164: "+33123456789",
      target: { kind: "extension", number: "201" },
    });
    await f.ops.carriers.add("test:setup", { name: "op1", host: "127.0.0.1", priority: 1 });
    await f.ops.carriers.addRoute("test:setup", "op1", "33");
    const plan = loadNumberingPlan();
    const cases: [string, keyof Store, string, (ops: Operations) => Promise<unknown>][] = [
      ["customer terminate", "audit", "append", (o) => o.terminateCustomer("cli:t", D)],
      ["customer remove", "audit", "append", (o) => o.removeCustomer("cli:t", D)],
      // non-payment and PSTN at once: the customer row is written, then the policy row fails.
      [
        "suspend (two rows)",
        "policies",
        "update",
        (o) => o.suspend("cli:t", D, { nonPayment: true, pstn: "total" }),
      ],
      ["extension remove with its DID", "audit", "append", (o) => o.removeExtension("cli:t", D, "201")],
      [
        "carrier update",
        "audit",
        "append",
        (o) => o.carriers.update("cli:t", "op1", { priority: 9, host: "127.0.0.2" }),
      ],
      ["carrier remove with routes", "audit", "append", (o) => o.carriers.remove("cli:t", "op1")],
      [
        "customer update (name and contract)",
        "policies",
        "update",
        (o) => o.updateCustomer("cli:t", D, { name: "Other", deliveryDate: "2026-01-01" }),
      ],
      ["DID add", "audit", "append", (o) => o.addNumber("cli:t", D, { e164: "+33123456780" })],
      ["PIN add", "audit", "append", (o) => o.addPin("cli:t", D, "boss", "4821")],
    ];
    for (const [what, repo, method, run] of cases) {
      const before = await f.snapshot();
      const ops = new Operations(failing(f.store, repo, method), { plan });
      try {
        await run(ops);
        assert.unreachable(`${what}: the injected failure did not surface`);
      } catch (err) {
        assert.is((err as Error).message, DISK, what);
      }
      assert.is(await f.snapshot(), before, `${what}: nothing half-applied`);
      // And the same change goes through once the disk is back (the connection is not left in a transaction).
    }
    await f.ops.terminateCustomer("cli:t", D);
    assert.is((await f.ops.customer(D)).status, "terminated");
    assert.is((await f.store.audit.list({ limit: 1 }))[0]?.action, "customer.terminate");
  } finally {
    await f.done();
  }
});

test.run();
