import { readFileSync } from "node:fs";
import type { CdrRecord } from "@centrex/store";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  buildInvoice,
  chargedSeconds,
  divRoundHalfUp,
  invoiceToHtml,
  lateInterestCents,
  parseTariffBook,
  planInvoice,
  rateCall,
  subscriptionCents,
  TariffError,
} from "../src/index.js";

const book = parseTariffBook(
  JSON.parse(readFileSync(new URL("../data/tariffs.sample.json", import.meta.url), "utf8")),
);
const tariff = book.tariffs[0]!;
const metro = book.plans.find((p) => p.name === "unlimited-metro")!;
const essential = book.plans.find((p) => p.name === "essential")!;
const none = new Set<string>();

let seq = 0;
function rec(
  startIso: string,
  seconds: number,
  destinationClass: string,
  called: string,
  over: Partial<CdrRecord> = {},
): CdrRecord {
  const startedAt = Date.parse(startIso);
  return {
    node: "n",
    seq: ++seq,
    customerId: 1,
    extension: "201",
    callId: `c${seq}`,
    direction: "outbound",
    caller: "+33123456789",
    dialled: called,
    called,
    destinationClass,
    carrier: "a",
    startedAt,
    answeredAt: seconds > 0 ? startedAt : null,
    endedAt: startedAt + seconds * 1000,
    billableMs: seconds * 1000,
    disposition: seconds > 0 ? "answered" : "no-answer",
    sipStatus: null,
    reason: null,
    prevHash: "",
    hash: "",
    sig: "",
    ...over,
  };
}

const r = suite("rating");

r("money: integer division rounds half up", () => {
  assert.is(divRoundHalfUp(5, 10), 1);
  assert.is(divRoundHalfUp(4, 10), 0);
  assert.is(divRoundHalfUp(15, 10), 2);
  assert.is(divRoundHalfUp(-15, 10), -2);
});

r("increments: first 60 s minimum then per second; 30/30 blocks", () => {
  const i60 = { firstSeconds: 60, thenSeconds: 1 };
  assert.is(chargedSeconds(0, i60), 0);
  assert.is(chargedSeconds(1, i60), 60);
  assert.is(chargedSeconds(60, i60), 60);
  assert.is(chargedSeconds(61, i60), 61);
  const i30 = { firstSeconds: 30, thenSeconds: 30 };
  assert.is(chargedSeconds(31, i30), 60);
  assert.is(chargedSeconds(90, i30), 90);
  assert.is(chargedSeconds(91, i30), 120);
});

r("a call's price: setup + per-minute, ms rounded up to the second, half-up millicents", () => {
  // 0.4 s answered: 1 s billed, then 60 s minimum at 9000 mc/min = 9000 mc.
  const a = rateCall(
    rec("2026-03-02T10:00:00Z", 0, "fr-mobile", "+33612345678", { billableMs: 400 }),
    tariff,
    none,
  );
  assert.equal([a.seconds, a.chargedSeconds, a.amountMillicents], [1, 60, 9000]);
  // 61 s at 2000 mc/min = 2033.33 → 2033; premium: setup 8000 + 7 s × 80000/60 = 9333.33 → 17333.
  assert.is(
    rateCall(rec("2026-03-02T10:00:00Z", 61, "fr-geographic", "+33123456780"), tariff, none).amountMillicents,
    2033,
  );
  assert.is(
    rateCall(rec("2026-03-02T10:00:00Z", 7, "fr-premium", "+33891234567"), tariff, none).amountMillicents,
    17333,
  );
  // 100 s at 2000 mc/min = 3333.33 → 3333; 2 s premium = 8000 + 2666.67 → 10667 (half up).
  assert.is(
    rateCall(rec("2026-03-02T10:00:00Z", 2, "fr-premium", "+33891234567"), tariff, none).amountMillicents,
    10667,
  );
  // A prefix rate beats its class: London (+4420) at 3000, not intl-europe at 20000.
  assert.is(
    rateCall(rec("2026-03-02T10:00:00Z", 60, "intl-europe", "+442071234567"), tariff, none).amountMillicents,
    3000,
  );
  assert.is(
    rateCall(rec("2026-03-02T10:00:00Z", 60, "intl-europe", "+41221234567"), tariff, none).amountMillicents,
    20000,
  );
});

r("emergency, support, internal, inbound and unanswered calls are free and never on the bill", () => {
  for (const [cls, called, over] of [
    ["emergency", "+33140000015", {}],
    ["support", "2222", {}],
    ["internal", "202", {}],
    ["inbound", "+33123456789", { direction: "inbound" as const }],
    ["fr-mobile", "+33612345678", { billableMs: 0 }],
  ] as const) {
    const x = rateCall(rec("2026-03-02T10:00:00Z", 300, cls, called, over), tariff, none);
    assert.is(x.amountMillicents, 0, cls);
    assert.is(x.onBill, false, cls);
  }
  // Unlimited: on the bill at zero.
  const u = rateCall(
    rec("2026-03-02T10:00:00Z", 300, "fr-mobile", "+33612345678"),
    tariff,
    new Set(metro.unlimited),
  );
  assert.equal([u.amountMillicents, u.onBill, u.free], [0, true, "unlimited"]);
});

r("a destination without a rate is an error, not a free call", () => {
  const bare = { name: "bare", rates: [] };
  assert.throws(
    () => rateCall(rec("2026-03-02T10:00:00Z", 60, "intl-world", "+8821234567"), bare, none),
    (e: unknown) => e instanceof TariffError,
  );
});

r("tariff books are validated with the faulty key named", () => {
  assert.throws(
    () =>
      parseTariffBook({
        ...JSON.parse(JSON.stringify(book)),
        tariffs: [{ name: "x", rates: [{ class: "fr-mobile", perMinuteMillicents: 1.5 }] }],
      }),
    /tariffs\[0\]\.rates\[0\]\.perMinuteMillicents/,
  );
  assert.throws(
    () =>
      parseTariffBook({ ...book, plans: [{ name: "p", perPhoneMonthlyCents: 1, unlimited: ["fr-mars"] }] }),
    /plans\[0\]\.unlimited\[0\]/,
  );
});

const inv = suite("invoices");

const customer = { id: 1, name: "Acme", domain: "acme.pbx.test" };

inv("subscription starts at delivery, prorated by day in the month of delivery", () => {
  assert.is(subscriptionCents("2026-03", 3, 2500, null), 0);
  assert.is(subscriptionCents("2026-03", 3, 2500, "2026-04-02"), 0);
  assert.is(subscriptionCents("2026-03", 3, 2500, "2026-02-15"), 7500);
  // 7500 × 21/31 = 5080.6 → 5081 (delivered 11 March: days 11..31).
  assert.is(subscriptionCents("2026-03", 3, 2500, "2026-03-11"), 5081);
  assert.is(subscriptionCents("2026-03", 3, 2500, "2026-03-01"), 7500);
});

inv("a monthly invoice: subscription, calls by class, month boundary, VAT 20%, debit date", () => {
  const records = [
    rec("2026-02-28T23:59:59Z", 600, "intl-eu", "+4930123456"), // February: not on the March bill
    rec("2026-03-01T00:00:00Z", 61, "intl-eu", "+4930123456"), // 61 s × 5000/60 = 5083.33 → 5083
    rec("2026-03-15T12:00:00Z", 90, "intl-eu", "+4930123456"), // 7500
    rec("2026-03-31T23:59:59Z", 3600, "fr-mobile", "+33612345678"), // unlimited
    rec("2026-03-20T12:00:00Z", 120, "emergency", "+33140000015"),
    rec("2026-04-01T00:00:00Z", 60, "intl-eu", "+4930123456"), // April
  ];
  const input = {
    customer,
    firstMonth: "2026-03",
    months: 1 as const,
    issuedOn: "2026-04-01",
    phones: 4,
    deliveryDate: "2026-01-10",
    plan: metro,
    tariff,
    records,
  };
  const i = buildInvoice(input);
  assert.equal(
    i.lines.map((l) => [l.kind, l.label, l.quantity, l.amountCents]),
    [
      ["subscription", "Subscription unlimited-metro, 4 phone(s)", 4, 10000],
      ["calls", "Calls fr-mobile (unlimited)", 1, 0],
      ["calls", "Calls intl-eu", 2, 13], // 12583 mc → 12.583 c → 13
    ],
  );
  assert.equal([i.netCents, i.vatCents, i.totalCents], [10013, 2003, 12016]);
  assert.is(i.debitOn, "2026-04-09");
  assert.is(i.calls.length, 3, "emergency call not on the bill");
  assert.equal(buildInvoice(input), i, "reproducible");
  const html = invoiceToHtml(i);
  assert.ok(html.includes("Total 120.16 EUR"));
  assert.ok(html.includes("2026-04-09"));
});

inv("fair use withdrawn: the month is rated at tariff and €3/phone is deducted", () => {
  const records = [rec("2026-03-05T09:00:00Z", 600, "fr-mobile", "+33612345678")]; // 600 s × 9000/60 = 90000 mc
  const base = {
    customer,
    firstMonth: "2026-03",
    months: 1 as const,
    issuedOn: "2026-04-01",
    phones: 2,
    deliveryDate: "2025-01-01",
    plan: metro,
    tariff,
    records,
  };
  const kept = buildInvoice(base);
  const withdrawn = buildInvoice({ ...base, unlimitedWithdrawnSince: "2026-03" });
  assert.is(kept.netCents, 5000);
  assert.equal(
    withdrawn.lines.map((l) => [l.kind, l.amountCents]),
    [
      ["subscription", 5000],
      ["calls", 90],
      ["discount", -600],
    ],
  );
  assert.is(
    buildInvoice({ ...base, unlimitedWithdrawnSince: "2026-04" }).netCents,
    5000,
    "withdrawal from a later month",
  );
  assert.is(
    buildInvoice({ ...base, telecomProfessional: true }).netCents,
    5090,
    "telecom professionals get no unlimited",
  );
  assert.is(buildInvoice({ ...base, plan: essential }).netCents, 3000 + 90);
});

inv("bimonthly: a low month is carried over once, then billed with the next", () => {
  assert.equal(
    planInvoice({
      month: "2026-03",
      previousMonthCarriedOver: false,
      monthCallsCents: 499,
      thresholdCents: 500,
    }),
    { action: "defer" },
  );
  assert.equal(
    planInvoice({
      month: "2026-03",
      previousMonthCarriedOver: false,
      monthCallsCents: 500,
      thresholdCents: 500,
    }),
    {
      action: "invoice",
      firstMonth: "2026-03",
      months: 1,
    },
  );
  assert.equal(
    planInvoice({
      month: "2026-01",
      previousMonthCarriedOver: true,
      monthCallsCents: 0,
      thresholdCents: 500,
    }),
    {
      action: "invoice",
      firstMonth: "2025-12",
      months: 2,
    },
  );
  const two = buildInvoice({
    customer,
    firstMonth: "2025-12",
    months: 2,
    issuedOn: "2026-02-01",
    phones: 1,
    deliveryDate: "2025-12-17", // 15/31 of December
    plan: essential,
    tariff,
    records: [
      rec("2025-12-31T23:30:00Z", 60, "fr-geographic", "+33123456780"),
      rec("2026-01-02T08:00:00Z", 60, "fr-geographic", "+33123456780"),
    ],
  });
  assert.equal(
    two.lines.map((l) => [l.month, l.kind, l.amountCents]),
    [
      ["2025-12", "subscription", 726], // 1500 × 15/31 = 725.8
      ["2025-12", "calls", 2],
      ["2026-01", "subscription", 1500],
      ["2026-01", "calls", 2],
    ],
  );
  assert.equal([two.periodStart, two.periodEnd], ["2025-12-01", "2026-02-01"]);
});

inv("late interest: 1.5 × legal rate per day, only after a failed debit and an unanswered reminder", () => {
  const p = {
    amountCents: 120_000,
    legalRateBasisPoints: 800,
    debitFailedOn: "2026-04-09",
    reminderSentOn: "2026-04-15",
    reminderAnswered: false,
    asOf: "2026-05-15",
  };
  // 1200.00 € × 12 %/yr × 30/365 = 11.835… € → 1184 c
  assert.is(lateInterestCents(p), 1184);
  assert.is(lateInterestCents({ ...p, reminderAnswered: true }), 0);
  assert.is(lateInterestCents({ ...p, debitFailedOn: null }), 0);
  assert.is(lateInterestCents({ ...p, reminderSentOn: null }), 0);
  assert.is(lateInterestCents({ ...p, asOf: "2026-04-15" }), 0);
  assert.is(lateInterestCents({ ...p, asOf: "2026-04-16" }), 39); // 1 day: 39.45 c
});

r.run();
inv.run();
