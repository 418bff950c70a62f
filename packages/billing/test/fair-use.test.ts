import type { CdrRecord } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { assessFairUse, type FairUseCustomer } from "../src/index.js";

let seq = 0;
const rec = (
  customerId: number,
  extension: string,
  seconds: number,
  destinationClass = "fr-geographic",
): CdrRecord => ({
  node: "n",
  seq: ++seq,
  customerId,
  extension,
  callId: `c${seq}`,
  direction: "outbound",
  caller: "+33100000000",
  dialled: "0123456789",
  called: "+33123456789",
  destinationClass,
  carrier: null,
  startedAt: Date.UTC(2026, 2, 3),
  answeredAt: Date.UTC(2026, 2, 3),
  endedAt: Date.UTC(2026, 2, 3) + seconds * 1000,
  billableMs: seconds * 1000,
  disposition: "answered",
  sipStatus: null,
  reason: null,
  prevHash: "",
  hash: "",
  sig: "",
});

const metro = new Set(["fr-geographic", "fr-mobile"]);
const cust = (
  customerId: number,
  phones: number,
  records: CdrRecord[],
  over: Partial<FairUseCustomer> = {},
): FairUseCustomer => ({
  customerId,
  phones,
  telecomProfessional: false,
  unlimited: metro,
  records,
  ...over,
});

test("a phone above twice the others' average flags its customer; others are not", () => {
  const report = assessFairUse([
    // 2 phones, 9000 s each: average 9000 per phone.
    cust(1, 2, [rec(1, "201", 9000), rec(1, "202", 9000)]),
    // 3 phones (one silent): 3000 + 6000 = 9000 over 3 = 3000.
    cust(2, 3, [rec(2, "201", 3000), rec(2, "202", 6000)]),
    // One phone at 30000 s to unlimited destinations, plus international (not counted).
    cust(3, 2, [
      rec(3, "201", 20000),
      rec(3, "201", 10000),
      rec(3, "202", 100),
      rec(3, "202", 99999, "intl-eu"),
    ]),
    // Telecom professional: huge volume, never eligible, excluded from the averages.
    cust(4, 1, [rec(4, "201", 500000)], { telecomProfessional: true }),
    // No unlimited plan: not eligible.
    cust(5, 1, [rec(5, "201", 500000)], { unlimited: new Set() }),
  ]);
  // Eligible: 1, 2, 3 → (18000 + 9000 + 30100) / 7 phones.
  assert.is(Math.round(report.averageSeconds), Math.round(57100 / 7));
  assert.is(report.flagged.length, 1);
  const f = report.flagged[0]!;
  assert.is(f.customerId, 3);
  // Others: (18000 + 9000) / 5 = 5400 → limit 10800.
  assert.equal([f.averageSeconds, f.limitSeconds], [5400, 10800]);
  assert.equal(f.phones, [{ extension: "201", seconds: 30000 }]);
});

test("with no other customer the reference average (2 h 30) applies", () => {
  const under = assessFairUse([cust(1, 1, [rec(1, "201", 18000)])]);
  assert.is(under.flagged.length, 0, "exactly twice 9000 s is still fair");
  const over = assessFairUse([cust(1, 1, [rec(1, "201", 18001)])]);
  assert.is(over.flagged[0]?.limitSeconds, 18000);
});

test.run();
