import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BaresipPhone } from "./helpers/baresip.js";
import { launchChromium } from "./helpers/browser.js";
import { centrex, type RunningSwitch, startSwitch } from "./helpers/centrex.js";
import { passwordOf } from "./helpers/passwords.js";
import { freePort } from "./helpers/ports.js";
import { requireCommand } from "./helpers/processes.js";
import { runSipp } from "./helpers/sipp.js";

// The web console in a real browser (Debian's Chromium driven by playwright-core), against a
// real switch: the operator logs in, adds an extension, sees two baresip phones register and
// their call appear and go away without reloading (server-sent events), hangs their next call
// up from the console (both phones get a BYE, the record ends "operator"), opens a barred class
// to PIN (and is shown the 422 when asking for "allow"), adds and changes a PIN, exports the
// call records; a customer administrator sees only its customer and is refused another's data.
// Overrides (test/README.md): admin.tokens (the API is off without one; one of them a customer
// administrator's), admin.port 0 (tests run side by side), the relay's port range (as in every
// baresip test). The browser talks only to the switch's 127.0.0.1 API.
// Screenshots go to $CENTREX_ARTIFACTS/console (default: a folder under the system temp dir).
const ACME = "acme.test";
const OTHER = "other.test";
const OPS_TOKEN = "console-ops-token-3e9a71c2";
const ACME_TOKEN = "console-acme-token-8d2f64b1";
const dir = mkdtempSync(join(tmpdir(), "centrex-console-"));
const shots = join(process.env.CENTREX_ARTIFACTS ?? join(tmpdir(), "centrex-artifacts"), "console");
let sw: RunningSwitch | undefined;
let browser: Browser | undefined;
let api = "";
const phones: BaresipPhone[] = [];

async function up(): Promise<RunningSwitch> {
  if (sw !== undefined) return sw;
  requireCommand("chromium", "chromium");
  const relayBase = (await freePort()) & ~1;
  const config = join(dir, "centrex.yaml");
  writeFileSync(
    config,
    [
      "admin:",
      "  port: 0",
      "  tokens:",
      `    - { name: ops, token: ${OPS_TOKEN} }`,
      `    - { name: acme-admin, token: ${ACME_TOKEN}, customer: ${ACME} }`,
      "media:",
      `  portMin: ${relayBase}`,
      `  portMax: ${Math.min(relayBase + 99, 65535)}`,
      "",
    ].join("\n"),
  );
  sw = await startSwitch({ args: ["--config", config, "--log-level", "info"] });
  const url = /"event":"admin-started","url":"([^"]+)"/.exec(sw.logs())?.[1];
  assert.ok(url, `admin API URL not logged:\n${sw.logs()}`);
  api = url;
  for (const args of [
    ["customer", "add", "Acme", "--domain", ACME],
    ["extension", "add", ACME, "201", "--password", passwordOf("201")],
    ["customer", "add", "Other", "--domain", OTHER],
    ["extension", "add", OTHER, "301", "--password", passwordOf("301")],
  ]) {
    const r = await centrex([...args, "--db", sw.db]);
    assert.is(r.code, 0, `centrex ${args.join(" ")}: ${r.stderr}`);
  }
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
  return sw;
}

test.after(async () => {
  await browser?.close();
  await Promise.all(phones.map((p) => p.stop()));
  await sw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function login(page: Page, token: string): Promise<void> {
  await page.goto(api);
  await page.fill("#token", token);
  await page.click("#login button");
  await page.waitForSelector("#live-status.on", { timeout: 10_000 });
}

/** The text of each row of a table body, cells joined by " | ". */
async function rows(page: Page, tbody: string): Promise<string[]> {
  return page.$$eval(`${tbody} tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim() ?? "").join(" | ")),
  );
}

async function waitRows(page: Page, tbody: string, count: number, timeout = 10_000): Promise<string[]> {
  await page.waitForFunction(
    ([sel, n]) => document.querySelectorAll(`${sel} tr`).length === n,
    [tbody, count] as const,
    {
      timeout,
    },
  );
  return rows(page, tbody);
}

const errorText = (page: Page) => page.textContent("#error");

// The page's globals as the predicates run in it use them (the test project has no DOM lib;
// the page's CSP forbids evaluating strings, so predicates are functions).
interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelectorAll(sel: string): ArrayLike<PageElement>;
}
declare const document: {
  querySelector(sel: string): PageElement | null;
  querySelectorAll(sel: string): ArrayLike<PageElement>;
};
declare const sessionStorage: { getItem(key: string): string | null };

test("the operator works the console: extension, live phones and call, barring, PIN, call records", async () => {
  const s = await up();
  const ctx = await browser!.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  try {
    // A wrong token: the API's JSON error, shown as it is; still logged out.
    await page.goto(api);
    await page.fill("#token", "wrong-token-0000000000");
    await page.click("#login button");
    await page.waitForSelector("#error:not([hidden])");
    assert.match((await errorText(page)) ?? "", /401 unauthorized: a valid bearer token is required/);
    assert.ok(await page.isVisible("#login"));

    await login(page, OPS_TOKEN);
    assert.match((await page.textContent("#who")) ?? "", /operator \(api:ops\)/);
    assert.match((await page.textContent("#node-state")) ?? "", /role single, serving/);
    assert.equal(await rows(page, "#registrations tbody"), []);

    // Add extension 202 from the customer's page.
    await page.click('nav button[data-tab="customers"]');
    await page.click(`#customers button:text("${ACME}")`);
    // Shown at once, filled once its data has loaded (aria-busy until then).
    await page.waitForSelector("#customer:not([hidden]):not([aria-busy])");
    await page.fill('#extension-add input[name="number"]', "202");
    await page.fill('#extension-add input[name="displayName"]', "Reception");
    await page.fill('#extension-add input[name="password"]', passwordOf("202"));
    await page.click("#extension-add button");
    const exts = await waitRows(page, "#extensions tbody", 2);
    assert.ok(
      exts.some((r) => r.startsWith("202 | Reception | yes | 0")),
      exts.join("\n"),
    );
    assert.match((await page.textContent("#notice")) ?? "", /extension added/);

    // Two phones register and call each other: the live tab follows without a reload.
    await page.click('nav button[data-tab="live"]');
    const proxy = `sip:${s.address}:${s.port};transport=udp`;
    const a = await BaresipPhone.start({ name: "A", tone: 1000 });
    const b = await BaresipPhone.start({ name: "B", tone: 2000 });
    phones.push(a, b);
    for (const [p, ext] of [
      [a, "201"],
      [b, "202"],
    ] as const) {
      const r = await p.register({
        aor: `sip:${ext}@${ACME}`,
        password: passwordOf(ext),
        outboundProxy: proxy,
      });
      assert.is(r.type, "REGISTER_OK", `${ext}: ${r.param}`);
    }
    const regs = await waitRows(page, "#registrations tbody", 2);
    for (const ext of ["201", "202"]) {
      const row = regs.find((r) => r.startsWith(`${ACME} | ${ext} |`));
      assert.ok(row, regs.join("\n"));
      assert.match(row, /baresip/i, "the user agent");
      assert.match(row, /\| udp:127\.0\.0\.1:\d+ \|/, "the source");
    }
    await a.dial(`sip:202@${ACME}`);
    await Promise.all([a.waitFor("CALL_ESTABLISHED", 10_000), b.waitFor("CALL_ESTABLISHED", 10_000)]);
    await page.waitForFunction(
      () => document.querySelector("#calls tbody")?.textContent?.includes("answered"),
      null,
      {
        timeout: 5000,
      },
    );
    const calls = await rows(page, "#calls tbody");
    assert.is(calls.length, 1);
    assert.match(
      calls[0]!,
      new RegExp(
        `^${ACME} \\| 201 \\| 202 \\| internal \\| internal \\|  \\| \\d\\d:\\d\\d:\\d\\dZ \\| answered \\| Hang up$`,
      ),
      calls[0],
    );
    assert.is(await page.textContent("#calls-count"), "1");
    // The concurrent-calls chart samples the calls in progress once a second: the call shows.
    await page.waitForFunction(
      () => document.querySelector("#chart-calls text")?.textContent === "max 1",
      null,
      {
        timeout: 5000,
      },
    );
    await page.screenshot({ path: join(shots, "operator-live-call.png"), fullPage: true });
    await a.hangup();
    await Promise.all([a.waitFor("CALL_CLOSED", 5000), b.waitFor("CALL_CLOSED", 5000)]);
    await waitRows(page, "#calls tbody", 0, 10_000).catch(async (err) => {
      const state = await (
        await fetch(`${api}/console/state`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } })
      ).text();
      throw new Error(`${err}\nstate: ${state}\n${s.logs().slice(-3000)}`);
    });

    // The operator hangs the next call up from the console: both phones get a BYE through the
    // proxy (neither hung up itself), the call leaves the list, its record ends "operator".
    await a.dial(`sip:202@${ACME}`);
    await Promise.all([a.waitFor("CALL_ESTABLISHED", 10_000), b.waitFor("CALL_ESTABLISHED", 10_000)]);
    await page.waitForFunction(
      () => document.querySelector("#calls tbody")?.textContent?.includes("answered"),
      null,
      { timeout: 5000 },
    );
    page.once("dialog", (d) => void d.accept());
    await page.click('#calls button:text("Hang up")');
    const closed = await Promise.all([a.waitFor("CALL_CLOSED", 5000), b.waitFor("CALL_CLOSED", 5000)]);
    await waitRows(page, "#calls tbody", 0, 10_000);
    await page
      .waitForFunction(
        () => document.querySelector("#notice")?.textContent === "call from 201 to 202 ended",
        null,
        {
          timeout: 5000,
        },
      )
      .catch(async (err) => {
        throw new Error(
          `${err}\nnotice: ${await page.textContent("#notice")}\nerror: ${await errorText(page)}`,
        );
      });
    // The log line reaches the test through a pipe, possibly after the API's answer.
    assert.ok(await s.waitForLog(/"event":"call-hung-up"/), "the hang-up logged");
    // baresip's words for a BYE received (its SIP session closed by the peer, ECONNRESET).
    for (const e of closed) assert.is(e.param, "Connection reset by peer", JSON.stringify(e));

    // PIN codes: a malformed code is refused and named; a good one is added, then changed.
    await page.click(`nav button[data-tab="customer"]`);
    await page.fill('#pin-add input[name="label"]', "boss");
    await page.fill('#pin-add input[name="code"]', "12");
    await page.click("#pin-add button");
    await page.waitForSelector("#error:not([hidden])");
    assert.match((await errorText(page)) ?? "", /400 invalid \(code\)/);
    await page.fill('#pin-add input[name="code"]', "4821");
    await page.click("#pin-add button");
    await waitRows(page, "#pins tbody", 1);
    await page.fill('#pins input[aria-label="new code for boss"]', "5930");
    await page.click('#pins button:text("Change")');
    await page.waitForFunction(() => document.querySelector("#notice")?.textContent === "PIN boss changed");

    // Barring: a class barred by default opens to PIN, never to allow (rule 19) — the 422 shows.
    const premium = '#barring tr:has(td:text-is("fr-premium"))';
    await page.selectOption(`${premium} select`, "allow");
    await page.click(`${premium} button`);
    await page.waitForSelector("#error:not([hidden])");
    assert.match((await errorText(page)) ?? "", /422 refused.*barred by default/);
    await page.selectOption(`${premium} select`, "pin");
    await page.click(`${premium} button`);
    await page
      .waitForFunction(
        () =>
          Array.from(document.querySelectorAll("#barring tbody tr")).some((tr) => {
            const td = tr.querySelectorAll("td");
            return td[0]?.textContent === "fr-premium" && td[3]?.textContent === "pin";
          }),
        null,
        { timeout: 5000 },
      )
      .catch(async (err) => {
        throw new Error(
          `${err}\n${await errorText(page)}\n${(await rows(page, "#barring tbody")).join("\n")}`,
        );
      });
    assert.ok(await page.isHidden("#error"));

    // The changes went through the API's operations: audited under the token's name.
    const audit = (await (
      await fetch(`${api}/audit?customer=${ACME}&limit=20`, {
        headers: { authorization: `Bearer ${OPS_TOKEN}` },
      })
    ).json()) as Array<{ actor: string; action: string; detail: { after?: unknown } }>;
    const actions = audit.filter((e) => e.actor === "api:ops").map((e) => e.action);
    for (const want of ["extension.add", "call.hangup", "policy.barring", "pin.add", "pin.change"]) {
      assert.ok(actions.includes(want), `${want} in ${actions.join(",")}`);
    }
    assert.is(
      audit.filter((e) => e.action === "policy.barring").length,
      1,
      "the refused change wrote nothing",
    );

    // Call records: today's, as CSV, downloaded by the browser.
    const today = new Date().toISOString().slice(0, 10);
    await page.fill('#cdr-export input[name="from"]', today);
    await page.fill('#cdr-export input[name="to"]', today);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#cdr-export button")]);
    const csv = readFileSync((await download.path())!, "utf8");
    assert.is(download.suggestedFilename(), `${ACME}-${today}-${today}.csv`);
    const lines = csv.trim().split("\n");
    assert.is(lines.length, 3, csv);
    for (const line of lines.slice(1)) {
      assert.match(line, /,201,202,/);
      assert.match(line, /,answered,200,/);
    }
    // The first call ended by a phone's BYE, the second by the operator.
    assert.match(lines[1]!, /,caller-bye,/);
    assert.match(lines[2]!, /,operator,/);
    const hangups = audit.filter((e) => e.action === "call.hangup");
    assert.is(hangups.length, 1, "the hang-up audited");
    await page.screenshot({ path: join(shots, "operator-customer.png"), fullPage: true });

    // Call-record search (the records tab): by caller and status, then exported as CSV.
    await page.click('nav button[data-tab="records"]');
    assert.is(await page.inputValue('#cdr-search input[name="from"]'), today, "today by default");
    await page.fill('#cdr-search input[name="caller"]', "201");
    await page.selectOption('#cdr-search select[name="status"]', "answered");
    await page.click('#cdr-search button[type="submit"]');
    const found = await waitRows(page, "#cdr-results tbody", 2);
    assert.match(
      found[0]!,
      new RegExp(
        `^${today} \\d\\d:\\d\\d:\\d\\d \\| ${ACME} \\| 201 \\| 202 \\| 202 \\| internal \\|  \\| answered \\| \\d+ \\| caller-bye$`,
      ),
      found[0],
    );
    assert.match(found[1]!, /\| answered \| \d+ \| operator$/, found[1]);
    assert.is(await page.textContent("#cdr-search-count"), "2 records");
    const [exported] = await Promise.all([
      // A refused export shows its error instead of a download: say which.
      page.waitForEvent("download", { timeout: 10_000 }).catch(async (e) => {
        throw new Error(`${e}\n${await errorText(page)}`);
      }),
      page.click("#cdr-search-export"),
    ]);
    assert.is(exported.suggestedFilename(), `all-${today}-${today}-search.csv`);
    const searched = readFileSync((await exported.path())!, "utf8")
      .trim()
      .split("\n");
    assert.is(searched.length, 3, searched.join("\n"));
    await page.screenshot({ path: join(shots, "operator-records.png"), fullPage: true });
    await page.fill('#cdr-search input[name="callee"]', "999");
    await page.click('#cdr-search button[type="submit"]');
    await waitRows(page, "#cdr-results tbody", 0);
    assert.is(await page.textContent("#cdr-search-count"), "0 records");

    // The charts: calls per hour counts today's two records; every chart and bar has a <title>.
    await page.click('nav button[data-tab="live"]');
    await page.waitForFunction(
      () => document.querySelector("#chart-hours")?.getAttribute("data-total") === "2",
    );
    assert.is(await page.locator("#chart-hours title").count(), 25, "the chart's title and one per hour");
    assert.is(await page.locator("#chart-loss title").count(), 1, "no carrier: the chart's title only");
    assert.match(
      (await page.textContent("#chart-hours g:last-of-type title")) ?? "",
      /^\d\d:00Z: 2 calls, 2 answered$/,
    );

    // Bans among the alerts: one made through the API appears without a reload, the operator
    // lifts it from the page (the same DELETE route, audited).
    const banned = await fetch(`${api}/security/bans/127.0.0.99`, {
      method: "POST",
      headers: { authorization: `Bearer ${OPS_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ minutes: 5 }),
    });
    assert.is(banned.status, 201, await banned.text());
    const bans = await waitRows(page, "#bans tbody", 1);
    assert.match(bans[0]!, /^127\.0\.0\.99 \| /, bans[0]);
    await page.click('#bans button:text("Lift")');
    await waitRows(page, "#bans tbody", 0);
    await page.waitForFunction(
      () => document.querySelector("#notice")?.textContent === "ban on 127.0.0.99 lifted",
    );
  } finally {
    await ctx.close();
  }
});

test("a customer administrator sees its own customer only, and is refused another's data", async () => {
  const s = await up();
  // Another customer's phone registers (SIPp): the operator sees it, Acme's administrator does not.
  const reg = await runSipp({
    scenario: "register-uac.xml",
    server: `${s.address}:${s.port}`,
    extraArgs: [
      "-s",
      "301",
      "-au",
      "301",
      "-ap",
      passwordOf("301"),
      "-set",
      "domain",
      OTHER,
      "-set",
      "expires",
      "300",
    ],
  });
  assert.is(reg.code, 0, reg.stderr + reg.errors);
  const ctx = await browser!.newContext();
  const page = await ctx.newPage();
  try {
    await login(page, ACME_TOKEN);
    assert.match((await page.textContent("#who")) ?? "", new RegExp(`administrator of ${ACME}`));
    // Shown at once, filled once its data has loaded (aria-busy until then).
    await page.waitForSelector("#customer:not([hidden]):not([aria-busy])");
    assert.is(await page.textContent("#customer-domain"), ACME);
    // Operator-only parts are not offered.
    for (const sel of [
      "#suspend-pstn",
      'nav button[data-tab="carriers"]',
      'nav button[data-tab="audit"]',
      "#barring select",
    ]) {
      assert.ok(await page.isHidden(sel), sel);
    }
    await page.click('nav button[data-tab="customers"]');
    const customers = await waitRows(page, "#customers tbody", 1);
    assert.match(customers[0]!, new RegExp(`^${ACME} \\|`));
    await page.click('nav button[data-tab="live"]');
    const regs = await rows(page, "#registrations tbody");
    assert.ok(regs.length >= 1 && regs.every((r) => r.startsWith(`${ACME} |`)), regs.join("\n"));

    // Another customer's data, asked for by the page's own session: refused.
    const other = (await page.evaluate(async (domain) => {
      const token = sessionStorage.getItem("centrex-token");
      const res = await fetch(`/customers/${domain}/extensions`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, body: await res.json() };
    }, OTHER)) as { status: number; body: { error: { code: string } } };
    assert.is(other.status, 403);
    assert.is(other.body.error.code, "forbidden");

    // Its own call records only, searched without naming a customer (the field is not offered).
    await page.click('nav button[data-tab="records"]');
    assert.ok(await page.isHidden('#cdr-search input[name="customer"]'));
    await page.click('#cdr-search button[type="submit"]');
    const own = await waitRows(page, "#cdr-results tbody", 2);
    assert.ok(
      own.every((r) => r.includes(`| ${ACME} |`)),
      own.join("\n"),
    );

    // What the terms let it do: its PIN codes (rule 18).
    await page.click('nav button[data-tab="customer"]');
    await page.fill('#pin-add input[name="label"]', "finance");
    await page.fill('#pin-add input[name="code"]', "7351");
    await page.click("#pin-add button");
    await page.waitForFunction(() => document.querySelector("#pins tbody")?.textContent?.includes("finance"));
    await page.screenshot({ path: join(shots, "customer-admin.png"), fullPage: true });
  } finally {
    await ctx.close();
  }
  // The operator sees the other customer's phone.
  const all = (await (
    await fetch(`${api}/console/state`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } })
  ).json()) as { registrations: Array<{ domain: string }> };
  assert.ok(all.registrations.some((r) => r.domain === OTHER));
});

test.run();
