import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { openSqliteStore } from "@centrex/store";
import { pino } from "pino";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { validateConfig } from "../src/config/load.js";
import { createSourceGuard } from "../src/switch/security.js";

test("an extension under attack: warn log, audit entry for its customer, webhook to the operator — and the account stays usable", async () => {
  const posts: unknown[] = [];
  const hook = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      posts.push(JSON.parse(body));
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "warn" },
    new Writable({
      write(chunk, _e, cb) {
        lines.push(JSON.parse(String(chunk)));
        cb();
      },
    }),
  );
  const store = openSqliteStore(":memory:");
  try {
    const c = await store.customers.create({ name: "Acme", domain: "pbx.test" });
    const config = validateConfig({
      security: { authFailures: { maxFailures: 3, extensionAlert: 5 } },
      billing: { fraudWebhook: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts` },
    });
    const guard = createSourceGuard(config, store, logger);
    // Five attackers, one guess each over and over: each gets banned, the extension alerts once.
    for (let round = 0; round < 3; round++) {
      for (let i = 1; i <= 5; i++) guard.authFailed(`198.51.100.${i}`, "201@pbx.test");
    }
    await new Promise((r) => setTimeout(r, 300));
    const bans = lines.filter((l) => l.event === "source-banned");
    assert.is(bans.length, 5, "each attacking source banned once, one line each");
    assert.is(bans[0]!.reason, "auth-failures");
    assert.is(lines.filter((l) => l.event === "extension-auth-alert").length, 1);
    const audit = await store.audit.list({ customerId: c.id, limit: 10 });
    assert.equal(
      audit.map((a) => [a.actor, a.action]),
      [["system:guard", "extension.auth-alert"]],
    );
    assert.equal((posts[0] as { type: string; extension: string }).type, "auth-alert");
    assert.equal((posts[0] as { extension: string }).extension, "201");
    assert.ok(guard.admit("127.0.0.2"), "the phone's own address is not affected");
  } finally {
    await store.close();
    hook.close();
  }
});

test.run();
