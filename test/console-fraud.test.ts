import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { launchChromium } from "./helpers/browser.js";
import { adminUrl } from "./helpers/centrex.js";
import { explain } from "./helpers/phones.js";
import { requireCommand } from "./helpers/processes.js";
import { startWithTenant, type TenantSwitch } from "./helpers/tenant.js";

// The console's Alerts (fraud and other automatic actions) in a real browser: the operator has
// the Live tab open when a hijacked phone's burst of calls to far destinations trips the fraud
// monitors (real SIPp traffic, as in fraud.test.ts); the suspension by "system:fraud" appears in
// the Alerts table without a reload, its customer opens the customer page, which shows the
// suspension, and Resume there lifts it — the next PSTN call is routed again (503: no carrier
// here) instead of refused (403).
// Overrides (test/README.md): admin.tokens (the API and console are off without one), admin.port
// 0 (tests run side by side); registrar.keepaliveSeconds 0 as in every SIPp-phone test.
// Screenshots go to $CENTREX_ARTIFACTS/console (default: a folder under the system temp dir).
const OPS_TOKEN = "console-fraud-ops-token-51c7e0";
const shots = join(process.env.CENTREX_ARTIFACTS ?? join(tmpdir(), "centrex-artifacts"), "console");
const FAR = ["0093201234567", "00252612345678", "00992371234567", "00675712345678", "00960712345678"];
let t: TenantSwitch | undefined;
let browser: Browser | undefined;

// The page's globals as the predicates run in it use them (no DOM lib in the test project).
interface PageElement {
  readonly textContent: string | null;
}
declare const document: {
  querySelector(sel: string): PageElement | null;
  querySelectorAll(sel: string): ArrayLike<PageElement>;
};

test.after(async () => {
  await browser?.close();
  await t?.sw.stop();
});

test("a fraud suspension appears in the console's alerts live, and Resume on its customer's page lifts it", async () => {
  requireCommand("chromium", "chromium");
  t = await startWithTenant({
    config: ["admin:", "  port: 0", "  tokens:", `    - { name: ops, token: ${OPS_TOKEN} }`, ""].join("\n"),
  });
  // The door a fraudster walks through (as in fraud.test.ts): far destinations opened with a
  // PIN, and the PIN leaked.
  await t.cli("did", "add", "pbx.test", "+33123456780", "--main");
  await t.cli("pin", "add", "pbx.test", "admin", "--code", "4321");
  await t.cli("barring", "pbx.test", "intl-world", "pin", "--by", "admin");
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(adminUrl(t.sw));
  await page.fill("#token", OPS_TOKEN);
  await page.click("#login button");
  await page.waitForSelector("#live-status.on", { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelector("#live[aria-busy]") === null);
  assert.is(await page.$$eval("#alerts tbody tr", (trs) => trs.length), 0, "alerts before any traffic");

  let refused = false;
  for (const n of FAR) {
    const r = await t.phones.call(`*4321${n}`, { expect: 403, expectReason: "PSTN access suspended" });
    if (r.caller.code === 0) {
      refused = true;
      break;
    }
  }
  assert.ok(
    refused,
    `the burst was never stopped:\n${t.sw
      .logs()
      .split("\n")
      .filter((l) => /fraud|refused|carrier/.test(l))
      .join("\n")}`,
  );

  // Pushed: the suspension's audit entry moves the live feed's revision, the page re-reads.
  await page.waitForFunction(
    () =>
      [...(document.querySelectorAll("#alerts tbody tr") as unknown as PageElement[])].some((tr) =>
        tr.textContent?.includes("system:fraud"),
      ),
    undefined,
    { timeout: 10_000 },
  );
  const alert = await page.$eval("#alerts tbody tr", (tr) =>
    [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim() ?? ""),
  );
  assert.is(alert[1], "system:fraud", alert.join(" | "));
  assert.match(alert[2] ?? "", /^customer\.suspend \(fraud: /);
  assert.is(alert[3], "pbx.test");
  await page.screenshot({ path: join(shots, "fraud-alert.png"), fullPage: true });

  await page.click("#alerts tbody tr:first-child button");
  await page.waitForFunction(
    () => document.querySelector("#customer-domain")?.textContent === "pbx.test",
    undefined,
    { timeout: 10_000 },
  );
  await page.waitForFunction(() => document.querySelector("#customer[aria-busy]") === null);
  const suspended = (await page.textContent("#customer-status")) ?? "";
  assert.match(suspended, /pstn/i, suspended);
  assert.match(suspended, /fraud: /, suspended);
  const national = await t.phones.call("0123456789", { expect: 403, expectReason: "PSTN access suspended" });
  assert.is(national.caller.code, 0, `while suspended: ${explain(national.caller)}`);

  await page.click("#resume");
  await page.waitForFunction(
    () => !/fraud/.test(document.querySelector("#customer-status")?.textContent ?? "fraud"),
    undefined,
    { timeout: 10_000 },
  );
  assert.is((await page.textContent("#customer-status"))?.trim(), "active");
  await page.screenshot({ path: join(shots, "fraud-resumed.png"), fullPage: true });
  const audit = await t.cli("audit", "--customer", "pbx.test", "--json");
  const resume = (JSON.parse(audit) as { actor: string; action: string }[]).find(
    (a) => a.action === "customer.resume",
  );
  assert.is(resume?.actor, "api:ops", audit);
  // The monitors follow the store: PSTN calls are routed again (no carrier here: 503).
  const after = await t.phones.call("0123456789", { expect: 503 });
  assert.is(after.caller.code, 0, `after Resume: ${explain(after.caller)}`);
});

test.run();
