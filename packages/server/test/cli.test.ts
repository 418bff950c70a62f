import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateLedgerKey, Ledger, loadLedgerKey } from "@centrex/billing";
import { type AuditEntry, openSqliteStore, sqliteHandle } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";

// The operator's command, walked as an operator (and a script) uses it: every command family
// with good input (exit 0, the change in the store, one audit row naming the OS login) and
// bad input (exit 2, one line naming the flag or field and the value, the store untouched).
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "packages/server/bin/centrex.mjs");
const dir = mkdtempSync(join(tmpdir(), "centrex-cli-"));
const db = join(dir, "c.db");
const D = "acme.pbx.test";
const LOGIN = userInfo().username;
const PW = "kq7-Blue-otter-pond";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `centrex` on each line, four at a time (a loaded CI machine), each expected to exit 0. */
async function inBatches(lines: string[][]): Promise<Run[]> {
  const out: Run[] = [];
  for (let i = 0; i < lines.length; i += 4) {
    const rs = await Promise.all(lines.slice(i, i + 4).map((args) => run(args)));
    rs.forEach((r, j) => {
      assert.is(r.code, 0, `centrex ${lines[i + j]!.join(" ")}: ${r.stderr}`);
    });
    out.push(...rs);
  }
  return out;
}

/** Every command line this file ran and its exit status: the last test checks each command was walked. */
const walked: { args: readonly string[]; code: number }[] = [];

function run(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : Number((err as { code?: number }).code ?? 1);
      walked.push({ args, code });
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(stdin ?? "");
  });
}

/** `centrex ARGS --db <db>`, asserting exit 0. */
async function ok(...args: string[]): Promise<string> {
  const r = await run([...args, "--db", db]);
  assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function withDb<T>(fn: (q: (sql: string) => unknown[]) => T): Promise<T> {
  return withDbAt(db, fn);
}

async function withDbAt<T>(file: string, fn: (q: (sql: string) => unknown[]) => T): Promise<T> {
  const store = openSqliteStore(file);
  try {
    return fn((sql) => sqliteHandle(store).prepare(sql).all());
  } finally {
    await store.close();
  }
}

/** Every tenant row and the audit log: a refused command must leave all of it as it was. */
const snapshot = () => snapshotOf(db);

/** The same rows of another database file (a restored copy). */
const withCopy = (path: string) => snapshotOf(path);

const snapshotOf = (file: string) =>
  withDbAt(file, (q) =>
    JSON.stringify(
      [
        "customers",
        "customer_policies",
        "extensions",
        "phone_numbers",
        "pins",
        "carriers",
        "carrier_routes",
        "audit_log",
      ].map((t) => q(`SELECT * FROM ${t} ORDER BY rowid`)),
    ),
  );

const lastAudit = () =>
  withDb((q) => {
    const r = q("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")[0] as
      | { actor: string; action: string; detail: string }
      | undefined;
    return r === undefined ? undefined : ({ ...r, detail: JSON.parse(r.detail) } as unknown as AuditEntry);
  });

async function audited(action: string, args: string[], stdin?: string): Promise<AuditEntry> {
  const r = await run([...args, "--db", db], stdin);
  assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
  const e = await lastAudit();
  assert.is(e?.action, action, `centrex ${args.join(" ")}`);
  assert.ok(e!.actor.startsWith(`cli:${LOGIN}`), e!.actor);
  return e!;
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test("init creates the database; one-shot commands refuse one that does not exist", async () => {
  const missing = join(dir, "typo.db");
  const r = await run(["customer", "list", "--db", missing]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^centrex: --db: database .*typo\.db does not exist/);
  assert.not.ok(existsSync(missing), "no empty database created");
  assert.is((await run(["init", "--db", db])).code, 0);
  const again = await run(["init", "--db", db]);
  assert.is(again.code, 2);
  assert.match(again.stderr, /already exists/);
  const v = await run(["--version"]);
  assert.is(v.code, 0);
  const pkg = JSON.parse(readFileSync(join(ROOT, "packages/server/package.json"), "utf8"));
  assert.is(v.stdout.trim(), pkg.version);
});

test("good input: every family changes the store and writes one audit row, without secrets", async () => {
  const add = await audited("customer.add", ["customer", "add", "Acme", "--domain", D]);
  assert.equal(add.detail, { customer: D, after: { name: "Acme", domain: D } });
  await audited("customer.update", [
    "customer",
    "update",
    D,
    "--name",
    "Acme SA",
    "--delivery-date",
    "2026-12-01",
  ]);
  await audited(
    "extension.add",
    ["extension", "add", D, "201", "--password-stdin", "--name", "Alice"],
    `${PW}\n`,
  );
  const gen = await run(["extension", "add", D, "202", "--db", db]);
  assert.is(gen.code, 0, gen.stderr);
  assert.match(gen.stdout, /password: \S+ {2}\(shown once/);
  await audited("extension.disable", ["extension", "disable", D, "202"]);
  assert.match(await ok("extension", "list", D), /^202\tdisabled\t0 registered/m);
  await audited("extension.enable", ["extension", "enable", D, "202"]);
  await audited("extension.update", ["extension", "update", D, "202", "--name", "Bob"]);
  await audited("extension.passwd", ["extension", "passwd", D, "201", "--password", "zz9-Red-heron-lake"]);
  await audited("did.add", ["did", "add", D, "+33123456789", "--extension", "201", "--main"]);
  // The extension's number, not an internal id.
  assert.match(await ok("did", "list", D), /^\+33123456789\textension 201\tmain$/m);
  await audited("policy.fallback", ["fallback", D, "+33612345678"]);
  await audited("policy.emergency", ["emergency", D, "--department", "75", "--commune", "75056"]);
  await audited("pin.add", ["pin", "add", D, "boss", "--code", "4821"]);
  await audited("pin.change", ["pin", "change", D, "boss", "--code", "9090"]);
  const bar = await audited("policy.barring", ["barring", D, "intl-world", "pin", "--by", "Mme Durand"]);
  assert.is(bar.actor, `cli:${LOGIN} for Mme Durand`);
  assert.equal(bar.detail, { customer: D, class: "intl-world", before: "barred", after: "pin" });
  await audited("customer.suspend", ["suspend", D, "--pstn", "total", "--reason", "abuse"]);
  // A PSTN-only suspension shows, with its kind, reason and time.
  assert.match(
    await ok("customer", "list"),
    /\tacme\.pbx\.test\tsuspended: pstn-total since \S+Z \(abuse\)\tAcme SA$/m,
  );
  assert.match(await ok("customer", "show", D), /^suspension\tpstn-total since .*\(abuse\)$/m);
  await audited("customer.resume", ["resume", D]);
  await audited("carrier.add", [
    "carrier",
    "add",
    "op1",
    "--host",
    "127.0.0.1",
    "--password",
    "trunk-secret-xyz",
  ]);
  await audited("carrier.update", ["carrier", "update", "op1", "--priority", "5", "--enabled", "no"]);
  await audited("carrier.route.add", ["carrier", "route", "op1", "33"]);
  assert.match(
    await ok("carrier", "list"),
    /^op1\tudp:127\.0\.0\.1:5060\tpriority 5\t.*\tdisabled\t33(\t|$)/m,
  );
  await audited("carrier.route.remove", ["carrier", "unroute", "op1", "33"]);
  await audited("did.remove", ["did", "remove", D, "+33123456789"]);
  // Ring groups (README "Ring groups and call pickup"): members by number, in hunt order.
  await audited("ring-group.add", [
    "group",
    "add",
    D,
    "600",
    "--name",
    "Accueil",
    "--members",
    "201",
    "--strategy",
    "sequential",
    "--overflow",
    "voicemail:201",
  ]);
  await audited("ring-group.member-add", ["group", "member", "add", D, "600", "202", "--position", "1"]);
  assert.match(
    await ok("group", "show", D, "600"),
    /^600\tAccueil\tsequential\tmembers 202,201\t15s each, 60s in all\toverflow voicemail:201$/m,
  );
  await audited("ring-group.update", [
    "group",
    "set",
    D,
    "600",
    "--strategy",
    "simultaneous",
    "--timeout",
    "30",
    "--overflow",
    "none",
  ]);
  assert.match(
    await ok("group", "list", D),
    /^600\tAccueil\tsimultaneous\tmembers 202,201\t30s\toverflow -$/m,
  );
  await audited("ring-group.member-remove", ["group", "member", "remove", D, "600", "202"]);
  await audited("ring-group.remove", ["group", "remove", D, "600"]);
  await audited("extension.remove", ["extension", "remove", D, "202"]);
  await audited("pin.remove", ["pin", "remove", D, "boss"]);
  await audited("extension.call-features", ["forward", D, "201", "--busy", "voicemail", "--dnd", "on"]);
  assert.match(await ok("forward", D, "201"), /busy voicemail/);
  await audited("carrier.remove", ["carrier", "remove", "op1"]);
  // Desk phones go through the operations layer too (one transaction with the audit row).
  const phone = await audited("phone.add", [
    "phone",
    "add",
    D,
    "80:5E:C0:12:34:56",
    "--model",
    "T46S",
    "--extension",
    "201",
  ]);
  assert.equal(phone.detail, {
    customer: D,
    after: { mac: "805ec0123456", model: "T46S", lines: ["201"], blf: [] },
    newPasswords: ["201"],
  });
  await audited("phone.move", [
    "phone",
    "move",
    "805ec0123456",
    "--extension",
    "201",
    "--blf",
    "201",
    "--by",
    "Mme Durand",
  ]);
  await audited("phone.remove", ["phone", "remove", "805ec0123456"]);
  await audited("customer.add", ["customer", "add", "Beta", "--domain", "beta.pbx.test"]);
  await audited("customer.terminate", ["customer", "terminate", "beta.pbx.test"]);
  await audited("customer.remove", ["customer", "remove", "beta.pbx.test"]);
  // What an entry says (not its time stamps: a millisecond time can contain "4821" by chance).
  const trail = await withDb((q) => JSON.stringify(q("SELECT actor, action, detail FROM audit_log")));
  for (const secret of [PW, "zz9-Red-heron-lake", "4821", "9090", "trunk-secret-xyz"])
    assert.not.ok(trail.includes(secret), `${secret} in the audit log`);
});

test("--json on every list and show parses, and says what the text says", async () => {
  const customers = JSON.parse(await ok("customer", "list", "--json"));
  assert.is(customers[0].domain, D);
  assert.equal(customers[0].suspensions, []);
  const show = JSON.parse(await ok("customer", "show", D, "--json"));
  assert.is(show.policy.emergencyCommune, "75056");
  assert.is(JSON.parse(await ok("extension", "list", D, "--json"))[0].number, "201");
  await ok("did", "add", D, "+33123456780", "--extension", "201");
  assert.equal(JSON.parse(await ok("did", "list", D, "--json"))[0].target.number, "201");
  assert.ok(Array.isArray(JSON.parse(await ok("pin", "list", D, "--json"))));
  assert.ok(Array.isArray(JSON.parse(await ok("carrier", "list", "--json"))));
  assert.ok(Array.isArray(JSON.parse(await ok("phone", "list", D, "--json"))));
  const trail = JSON.parse(await ok("audit", "--customer", D, "--limit", "5", "--json"));
  assert.is(trail.length, 5);
  assert.is(trail[0].action, "did.add");
  // A weak password stored before the policy (only the store can still hold one): the report
  // names the extension, exit 1 (a check found a fault), and --json says the same.
  const store = openSqliteStore(db);
  try {
    const c = await store.customers.findByDomain(D);
    await store.extensions.setPassword((await store.extensions.find(c!.id, "201"))!.id, "12345678");
  } finally {
    await store.close();
  }
  const weak = await run(["extension", "weak-passwords", D, "--json", "--db", db]);
  assert.is(weak.code, 1, weak.stderr);
  assert.equal(JSON.parse(weak.stdout), [{ domain: D, extension: "201" }]);
  const weakText = await run(["extension", "weak-passwords", "--db", db]);
  assert.match(weakText.stdout, /^201@acme\.pbx\.test\tweak .*\n1 weak password found\n$/);
  await ok("extension", "passwd", D, "201", "--password", PW);
  assert.equal(JSON.parse(await ok("extension", "weak-passwords", "--json")), []);
});

test("a deleted customer's history stays findable; --customer never mixes it with a new one of that domain", async () => {
  const G = "gone.pbx.test";
  await ok("customer", "add", "Gone", "--domain", G);
  const oldId = (JSON.parse(await ok("customer", "show", G, "--json")) as { customer: { id: number } })
    .customer.id;
  await ok("suspend", G, "--non-payment", "--reason", "unpaid");
  await ok("customer", "remove", G);
  await ok("customer", "add", "Gone again", "--domain", G);
  const actions = (out: string) =>
    (JSON.parse(out) as AuditEntry[]).map((e) => [e.customerId === oldId ? "old" : "new", e.action]);
  assert.equal(actions(await ok("audit", "--customer", G, "--json")), [["new", "customer.add"]]);
  assert.equal(actions(await ok("audit", "--customer", G, "--include-deleted", "--json")), [
    ["new", "customer.add"],
    ["old", "customer.remove"],
    ["old", "customer.suspend"],
    ["old", "customer.add"],
  ]);
  assert.equal(actions(await ok("audit", "--customer-id", String(oldId), "--json")), [
    ["old", "customer.remove"],
    ["old", "customer.suspend"],
    ["old", "customer.add"],
  ]);
  assert.match(
    await ok("audit", "--customer-id", String(oldId), "--limit", "1"),
    new RegExp(`\tcustomer #${oldId}\t`),
  );
  await ok("customer", "remove", G);
});

test("bad input: exit 2, one line naming the flag or field and the value, nothing written", async () => {
  const before = await snapshot();
  const cases: [string[], RegExp][] = [
    // Rule 19 through the CLI: the bypass of issue 11 is gone.
    [["barring", D, "intl-world", "allow"], /intl-world .* only be opened with PIN protection/],
    [["barring", D, "fr-directory", "allow"], /fr-directory .* only be opened with PIN/],
    [["barring", D, "fr-nowhere", "pin"], /class "fr-nowhere" is not a destination class/],
    [
      ["did", "add", D, "+33123456781", "--extension", "201", "--group", "10"],
      /--extension 201 and --group 10/,
    ],
    [["did", "add", D, "+33612345678"], /e164 \+33612345678 is not a French geographic number/],
    [["did", "add", D, "0123456789"], /e164 "0123456789" is not an E\.164 number/],
    [["did", "remove", D, "+33111111111"], /has no number \+33111111111/],
    [
      ["cdr", "export", "--customer", D, "--from", "2026-13-01", "--to", "2026-12-31"],
      /--from .*'2026-13-01'/,
    ],
    [
      ["cdr", "export", "--customer", D, "--from", "2026-12-02", "--to", "2026-12-01"],
      /--to 2026-12-01 is before --from 2026-12-02/,
    ],
    [["customer", "add", "X", "--domain", "not a domain"], /domain "not a domain" is not a valid DNS name/],
    [["customer", "add", "Dup", "--domain", D], /domain/],
    [["customer", "show", "nobody.test"], /no customer with domain "nobody.test"/],
    [["customer", "update", D, "--delivery-date", "2026-02-30"], /deliveryDate "2026-02-30"/],
    [["customer", "update", D, "--telecom-professional", "maybe"], /--telecom-professional .*'maybe'/],
    [["extension", "add", D, "2x1", "--password", PW], /number must be 2 to 6 digits, got "2x1"/],
    [["extension", "add", D, "203", "--password", "password1"], /weak password refused/],
    [["extension", "passwd", D, "999", "--password", PW], /no extension "999"/],
    [["extension", "disable", D, "999"], /no extension "999"/],
    [["forward", D, "201", "--dnd", "maybe"], /--dnd .*must be "on" or "off"/],
    [["group", "add", D, "601", "--name", "X", "--members", "999"], /no extension "999"/],
    [
      ["group", "add", D, "601", "--name", "X", "--strategy", "round"],
      /--strategy .*must be "simultaneous" or "sequential"/,
    ],
    [
      ["group", "add", D, "601", "--name", "X", "--overflow", "voicemail:999"],
      /no extension "999" .*voicemail/,
    ],
    [
      ["group", "add", D, "601", "--name", "X", "--overflow", "sip:x"],
      /overflow must be a number .* got "sip:x"/,
    ],
    [["group", "add", D, "601", "--name", "X", "--timeout", "2"], /--timeout .*must be 5 to 600 seconds/],
    [["group", "add", D, "601"], /--name/],
    [["group", "show", D, "699"], /no ring group "699"/],
    [["group", "list", "nobody.test"], /no customer with domain "nobody.test"/],
    [["group", "set", D, "699", "--name", "X"], /no ring group "699"/],
    [["group", "remove", D, "699"], /no ring group "699"/],
    [["group", "member", "remove", D, "699", "201"], /no ring group "699"/],
    [
      ["fallback", D, "+33899123456"],
      /e164 \+33899123456 is a .* number: the fallback must be a fixed or mobile line/,
    ],
    [["emergency", D, "--department", "75", "--commune", "69123"], /commune 69123 is not in department 75/],
    [["emergency", D, "--department", "20", "--commune", "20004"], /department "20"/],
    [["pin", "add", D, "x", "--code", "12a4"], /code must be exactly 4 digits/],
    [["pin", "change", D, "nobody", "--code", "1234"], /no PIN "nobody"/],
    [["pin", "remove", D, "nobody"], /no PIN "nobody"/],
    [["suspend", D], /say --non-payment or --pstn partial\|total/],
    [["suspend", D, "--pstn", "some"], /--pstn: expected partial or total, got "some"/],
    [["resume", D], /is not suspended/],
    [["carrier", "add", "op2"], /--host/],
    [["carrier", "update", "op9", "--priority", "1"], /no carrier "op9"/],
    [["carrier", "update", "op9", "--priority", "abc"], /--priority .*'abc'/],
    [["carrier", "route", "op9", "33x"], /prefix must be E\.164 digits .* got "33x"/],
    [["carrier", "remove", "op9"], /no carrier "op9"/],
    [["audit", "--limit", "0"], /--limit: expected 1 to 10000, got "0"/],
    [["audit", "--customer-id", "x1"], /--customer-id: expected a customer id .* got "x1"/],
    [["audit", "--customer", D, "--customer-id", "1"], /--customer and --customer-id: give one, not both/],
    [["audit", "--include-deleted"], /--include-deleted: give --customer DOMAIN too/],
    [["audit", "--customer", "nobody.test"], /no customer with domain "nobody.test"/],
    [
      ["phone", "add", D, "80:5e:c0:12:34:57", "--model", "T99X", "--extension", "201"],
      /unknown model "T99X"/,
    ],
    [["phone", "move", "80:5e:c0:12:34:57", "--extension", "201"], /no phone with MAC 805ec0123457/],
    [["phone", "remove", "zz"], /malformed MAC/],
    [["extension", "weak-passwords", "nobody.test"], /no customer with domain "nobody.test"/],
    [["customer", "terminate", "nobody.test"], /no customer with domain "nobody.test"/],
    [["customer", "remove", "nobody.test"], /no customer with domain "nobody.test"/],
    [["extension", "list", "nobody.test"], /no customer with domain "nobody.test"/],
    [["extension", "update", D, "999", "--name", "X"], /no extension "999"/],
    [["extension", "enable", D, "999"], /no extension "999"/],
    [["extension", "remove", D, "999"], /no extension "999"/],
    [["did", "list", "nobody.test"], /no customer with domain "nobody.test"/],
    [["pin", "list", "nobody.test"], /no customer with domain "nobody.test"/],
    [["carrier", "list", "extra"], /too many arguments for 'list'/],
    [["carrier", "unroute", "op9", "33"], /no carrier "op9"/],
    [["phone", "list", "nobody.test"], /no customer with domain nobody.test/],
    [["invoice", "run", "--month", "2026-13"], /--month .*'2026-13' is invalid/],
    [["bogus"], /unknown command 'bogus'/],
    [["customer", "add", "X"], /required option '--domain <domain>'/],
    [["customer", "list", "--colour"], /unknown option '--colour'/],
  ];
  for (let i = 0; i < cases.length; i += 4) {
    await Promise.all(
      cases.slice(i, i + 4).map(async ([args, re]) => {
        const r = await run([...args, "--db", db]);
        const what = `centrex ${args.join(" ")}`;
        assert.is(r.code, 2, `${what}: exit ${r.code} ${r.stderr}`);
        assert.is(r.stdout, "", what);
        assert.is(r.stderr.trimEnd().split("\n").length, 1, `${what}: one line, got ${r.stderr}`);
        assert.match(r.stderr, /^centrex: /, what);
        assert.match(r.stderr, re, what);
      }),
    );
  }
  assert.is(await snapshot(), before, "a refused command changed the store");
});

test("cdr verify: exit 0 on an intact ledger, 1 on a tampered one (not 2: a check found a fault)", async () => {
  const keyFile = join(dir, "ledger.pem");
  writeFileSync(keyFile, generateLedgerKey().privateKeyPem);
  const store = openSqliteStore(db);
  const ledger = new Ledger({ store, node: "node-a", key: loadLedgerKey(readFileSync(keyFile)) });
  for (let i = 1; i <= 3; i++) {
    const at = Date.UTC(2026, 2, 10, 9, i);
    await ledger.append({
      callId: `c${i}@t`,
      customerId: 1,
      extension: "201",
      direction: "outbound",
      caller: "+33123456789",
      dialled: "0612345678",
      called: "+33612345678",
      destinationClass: "fr-mobile",
      carrier: "op1",
      startedAt: at,
      answeredAt: at + 1000,
      endedAt: at + 30_000,
      disposition: "answered",
    });
  }
  await store.close();
  const good = await run(["cdr", "verify", "--key", keyFile, "--db", db, "--json"]);
  assert.is(good.code, 0, good.stderr);
  assert.is(JSON.parse(good.stdout).ok, true);
  await withDb(() => undefined);
  const s = openSqliteStore(db);
  sqliteHandle(s).prepare("UPDATE cdrs SET billable_ms = 1 WHERE seq = 2").run();
  await s.close();
  const bad = await run(["cdr", "verify", "--key", keyFile, "--db", db]);
  assert.is(bad.code, 1, bad.stderr);
  assert.match(bad.stdout, /FAULT/);
  const noKey = await run(["cdr", "verify", "--key", join(dir, "none.pem"), "--db", db]);
  assert.is(noKey.code, 2);
  assert.match(noKey.stderr, /cannot read ledger key .*none\.pem/);
});

test("backup, restore, cdr export, invoice run; the commands that need a running switch or node refuse bad input with exit 2", async () => {
  const bk = await run(["backup", "--db", db, "--dir", join(dir, "bk")]);
  assert.is(bk.code, 0, bk.stderr);
  const file = /^(\S+)\n/.exec(bk.stdout)?.[1];
  assert.ok(file !== undefined && existsSync(file), bk.stdout);
  const copy = join(dir, "restored.db");
  const rs = await run(["restore", file, "--db", copy]);
  assert.is(rs.code, 0, rs.stderr);
  assert.is(await snapshot(), await withCopy(copy), "the restored copy holds the same tenant rows");
  // The customer's detail of calls and the month's invoices, with good input.
  assert.equal(
    JSON.parse(
      await ok(
        "cdr",
        "export",
        "--customer",
        D,
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--format",
        "json",
      ),
    ),
    [],
  );
  const tariffs = join(ROOT, "packages/billing/data/tariffs.sample.json");
  assert.match(
    await ok("invoice", "run", "--month", "2026-11", "--customer", D, "--tariffs", tariffs),
    new RegExp(`^${D.replaceAll(".", "\\.")}\t`),
  );
  const cases: [string[], RegExp][] = [
    [["backup", "--db", join(dir, "typo.db")], /--db: database .*typo\.db does not exist/],
    [["restore", join(dir, "none.db"), "--db", copy], /restore: backup file .*none\.db does not exist/],
    [["failback"], /required option '--config <file>'/],
    [["ban", "list"], /give --config .* or --url and --token/],
    [["ban", "clear", "192.0.2.1"], /give --config .* or --url and --token/],
    [["ban", "add", "192.0.2.1", "--minutes", "x"], /--minutes: a whole number of minutes/],
    [["phone", "resync", "805ec0123456"], /phone resync: give --config FILE or --api URL/],
    [["media", "--ports", "5-1"], /--ports .*expected LOW-HIGH/],
    [["start", "--config", join(dir, "none.yaml")], /cannot read config file .*none\.yaml/],
  ];
  const runs = await Promise.all(cases.map(([args]) => run(args)));
  cases.forEach(([args, re], i) => {
    const r = runs[i]!;
    const what = `centrex ${args.join(" ")}`;
    assert.is(r.code, 2, `${what}: exit ${r.code} ${r.stderr}`);
    assert.is(r.stderr.trimEnd().split("\n").length, 1, `${what}: one line, got ${r.stderr}`);
    assert.match(r.stderr, re, what);
  });
});

test("README's command table lists every command --help shows; every command was walked; reads have --json", async () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const table = readme.slice(
    readme.indexOf("## The `centrex` command"),
    readme.indexOf("### Dialling from a phone"),
  );
  const top = await run(["--help"]);
  const words = [...top.stdout.matchAll(/^ {2}([a-z][a-z-]*)/gm)]
    .map((m) => m[1]!)
    .filter((w) => w !== "help");
  const missing: string[] = [];
  const tree = new Set<string>();
  const helps = await inBatches(words.map((word) => [word, "--help"]));
  words.forEach((word, i) => {
    const h = helps[i]!;
    const subs = [...h.stdout.slice(h.stdout.indexOf("Commands:")).matchAll(/^ {2}([a-z][a-z-]*)/gm)]
      .map((m) => m[1]!)
      .filter((w) => w !== "help");
    if (!h.stdout.includes("Commands:") || subs.length === 0) {
      tree.add(word);
      if (!table.includes(`\`centrex ${word}`)) missing.push(word);
      return;
    }
    for (const sub of subs) tree.add(`${word} ${sub}`);
    // "customer add" appears as `centrex customer add` or, after the first, as `customer add`.
    for (const sub of subs) if (!table.includes(`${word} ${sub}`)) missing.push(`${word} ${sub}`);
  });
  assert.equal(missing, [], `commands in --help but not in README's table: ${missing.join(", ")}`);
  // Every list, show and report prints JSON for scripts.
  const reads = [...tree].filter((c) => /(^| )(list|show|audit|weak-passwords|verify)$/.test(c));
  const readHelps = await inBatches(reads.map((c) => [...c.split(" "), "--help"]));
  const noJson = reads.filter((_, i) => !readHelps[i]!.stdout.includes("--json"));
  assert.equal(noJson, [], `list/show commands without --json: ${noJson.join(", ")}`);

  // The walk above ran every command with good input (exit 0) and bad input (exit 2), but
  // for the good input of those that need a running switch, a media node or a pair of nodes:
  // test/sipvicious.test.ts (ban list, ban clear), test/provisioning.test.ts (phone resync),
  // packages/server/test/failover-e2e.test.ts and test/failover-dns.test.ts (failback), every
  // end-to-end test (start) and the media tests (media). `ban add` with good input is the
  // API's POST /security/bans/:address (packages/admin/test/security.test.ts).
  const goodElsewhere = new Set([
    "start",
    "media",
    "failback",
    "ban list",
    "ban clear",
    "ban add",
    "phone resync",
  ]);
  const commandOf = (args: readonly string[]) =>
    tree.has(`${args[0]} ${args[1]}`) ? `${args[0]} ${args[1]}` : (args[0] ?? "");
  const unwalked: string[] = [];
  for (const c of tree) {
    const runs = walked.filter((w) => commandOf(w.args) === c && !w.args.includes("--help"));
    if (!goodElsewhere.has(c) && !runs.some((w) => w.code === 0)) unwalked.push(`${c} (good input)`);
    if (!runs.some((w) => w.code === 2)) unwalked.push(`${c} (bad input)`);
  }
  assert.equal(unwalked, [], `commands not walked: ${unwalked.join(", ")}`);

  // And the help speaks to an operator: the classes are listed, no article or rule numbers.
  const barring = await run(["barring", "--help"]);
  assert.match(barring.stdout, /intl-world +International: rest of world \(default: barred\)/);
  assert.not.match(barring.stdout + top.stdout, /rule \d+|CG art|CS art/i);
});

test.run();
