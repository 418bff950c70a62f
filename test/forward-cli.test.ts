import { test } from "uvu";
import * as assert from "uvu/assert";
import { centrex } from "./helpers/centrex.js";
import { createTenant } from "./helpers/store-tenant.js";

// `centrex forward`: the operator's side of call forwarding and do not disturb (the calls that
// follow them are in forwarding.test.ts). Bad input is one line and exit 2, nothing changed.
let db: string;

test.before(async () => {
  db = await createTenant("pbx.test", ["201", "202"]);
});

test("set, show (text and --json), clear with none; audited", async () => {
  const set = await centrex([
    "forward",
    "pbx.test",
    "201",
    "--always",
    "202",
    "--unanswered",
    "voicemail",
    "--after",
    "15",
    "--dnd",
    "on",
    "--db",
    db,
  ]);
  assert.is(set.code, 0, set.stderr);
  assert.match(set.stdout, /always 202\tbusy -\tno-answer voicemail after 15s\tunreachable -\tdnd on/);
  const cleared = await centrex(["forward", "pbx.test", "201", "--always", "none", "--json", "--db", db]);
  assert.is(cleared.code, 0, cleared.stderr);
  const v = JSON.parse(cleared.stdout) as Record<string, unknown>;
  assert.is(v.forwardAlways, null);
  assert.is(v.forwardNoAnswer, "voicemail");
  assert.is(v.dnd, true);
  const audit = await centrex(["audit", "--db", db, "--limit", "1"]);
  assert.match(audit.stdout, /extension\.call-features/);
});

test("bad input: one line naming the fault, exit 2, nothing changed", async () => {
  for (const [args, why] of [
    [["--busy", "abc"], /forwardBusy must be a number/],
    [["--after", "3"], /ring time must be 5 to 120 seconds/],
    [["--busy", "201"], /cannot forward to itself/],
    [["--dnd", "maybe"], /must be "on" or "off"/],
  ] as const) {
    const r = await centrex(["forward", "pbx.test", "201", ...args, "--db", db]);
    assert.is(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  const unknown = await centrex(["forward", "pbx.test", "299", "--db", db]);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /no extension "299"/);
  const show = await centrex(["forward", "pbx.test", "201", "--db", db]);
  assert.match(show.stdout, /busy -\t/);
});

test.run();
