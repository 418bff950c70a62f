import { Writable } from "node:stream";
import { SourceGuard } from "@centrex/guard";
import { pino } from "pino";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { harness } from "./helpers.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l !== "") lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: pino({ level: "warn" }, stream) };
}

test("wrong tokens are logged at warn with the source, and past the limit the address gets 429", async () => {
  const log = capture();
  const h = await harness({ tokenMaxFailures: 3, logger: log.logger });
  try {
    for (let i = 0; i < 3; i++) {
      assert.is((await h.call("GET", "/customers", { token: `wrong-token-${i}-0123456789` })).status, 401);
    }
    const refused = await h.call("GET", "/customers");
    assert.is(refused.status, 429, "even the right token is not looked at once the address is banned");
    assert.is(refused.json.error.code, "too_many_attempts");
    const warned = log.lines.filter((l) => l.event === "admin-token-refused");
    assert.is(warned.length, 3);
    assert.is(warned[0]!.source, "127.0.0.1");
    assert.is(log.lines.filter((l) => l.event === "admin-source-banned").length, 1);
    assert.ok(!JSON.stringify(log.lines).includes("wrong-token-"), "no token in the logs");
    assert.is((await h.call("GET", "/health", { token: null })).status, 200, "health stays public");
  } finally {
    await h.done();
  }
});

test("the SIP ban list: list, manual ban, clear one, clear all — audited", async () => {
  const guard = new SourceGuard({ rate: { maxPerWindow: 10 } });
  const h = await harness({ bans: guard });
  try {
    for (let i = 0; i < 20; i++) guard.admit("192.0.2.66");
    const list = await h.call("GET", "/security/bans");
    assert.is(list.status, 200);
    assert.equal(
      list.json.map((b: { address: string; reason: string }) => [b.address, b.reason]),
      [["192.0.2.66", "flood"]],
    );
    const manual = await h.call("POST", "/security/bans/2001:db8::7", { body: { minutes: 30 } });
    assert.is(manual.status, 201);
    assert.is(manual.json.reason, "manual");
    assert.not.ok(guard.admit("2001:db8::7"));
    assert.is((await h.call("POST", "/security/bans/not-an-ip", { body: { minutes: 30 } })).status, 400);
    assert.is((await h.call("DELETE", "/security/bans/192.0.2.66")).json.cleared, 1);
    assert.ok(guard.admit("192.0.2.66"));
    assert.is((await h.call("DELETE", "/security/bans/192.0.2.66")).status, 404);
    assert.is((await h.call("DELETE", "/security/bans")).json.cleared, 1);
    assert.equal((await h.call("GET", "/security/bans")).json, []);
    const audit = await h.call("GET", "/audit");
    assert.equal(
      audit.json.map((a: { action: string }) => a.action),
      ["security.ban-clear", "security.ban-clear", "security.ban"],
    );
  } finally {
    await h.done();
  }
});

test.run();
