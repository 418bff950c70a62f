import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Incident } from "../src/index.js";
import {
  addBusinessMs,
  assessIncident,
  businessMsBetween,
  compensationCap,
  easterSunday,
  frenchPublicHolidays,
  incidentFromTakeover,
  isWorkingDay,
  parisQuarter,
} from "../src/index.js";

const H = 3_600_000;
/** A Paris wall-clock instant written with its UTC offset, as a human would check it. */
const at = (iso: string): number => Date.parse(iso);

const cal = suite("French business calendar");

cal("Easter and the moveable holidays", () => {
  assert.equal(easterSunday(2024), { y: 2024, m: 3, d: 31 });
  assert.equal(easterSunday(2025), { y: 2025, m: 4, d: 20 });
  assert.equal(easterSunday(2026), { y: 2026, m: 4, d: 5 });
  assert.equal(easterSunday(2027), { y: 2027, m: 3, d: 28 });
  assert.equal(easterSunday(2038), { y: 2038, m: 4, d: 25 });
  assert.equal(frenchPublicHolidays(2026), [
    "2026-01-01",
    "2026-04-06", // Easter Monday
    "2026-05-01",
    "2026-05-08",
    "2026-05-14", // Ascension
    "2026-05-25", // Whit Monday
    "2026-07-14",
    "2026-08-15",
    "2026-11-01",
    "2026-11-11",
    "2026-12-25",
  ]);
  assert.ok(frenchPublicHolidays(2026, { alsaceMoselle: true }).includes("2026-04-03"));
  assert.is(isWorkingDay({ y: 2026, m: 4, d: 3 }), true, "Good Friday is worked outside Alsace-Moselle");
  assert.is(isWorkingDay({ y: 2026, m: 4, d: 6 }), false);
  assert.is(isWorkingDay({ y: 2026, m: 11, d: 28 }), false, "Saturday");
});

cal("2 business hours across an evening and a weekend", () => {
  // Friday 27 Nov 2026 19:00 Paris (UTC+1): 1 h on Friday, 1 h on Monday from 09:00.
  const start = at("2026-11-27T19:00:00+01:00");
  assert.is(addBusinessMs(start, 2 * H), at("2026-11-30T10:00:00+01:00"));
  assert.is(businessMsBetween(start, at("2026-11-30T10:00:00+01:00")), 2 * H);
  assert.is(businessMsBetween(at("2026-11-28T10:00:00+01:00"), at("2026-11-29T18:00:00+01:00")), 0);
  // Reported at 07:00: the clock starts at 09:00.
  assert.is(addBusinessMs(at("2026-11-26T07:00:00+01:00"), 2 * H), at("2026-11-26T11:00:00+01:00"));
  // Reported 20:30: next morning 11:00.
  assert.is(addBusinessMs(at("2026-11-26T20:30:00+01:00"), 2 * H), at("2026-11-27T11:00:00+01:00"));
});

cal("holidays are skipped: 11 November, Easter Monday, Ascension, Whit Monday", () => {
  assert.is(addBusinessMs(at("2026-11-10T19:30:00+01:00"), 2 * H), at("2026-11-12T10:30:00+01:00"));
  // Friday 3 April 2026 19:30 → Monday 6 is Easter Monday → Tuesday 7, 10:30 (summer time).
  assert.is(addBusinessMs(at("2026-04-03T19:30:00+02:00"), 2 * H), at("2026-04-07T10:30:00+02:00"));
  // Wednesday 13 May 19:00 → Thursday 14 Ascension → Friday 15 10:00.
  assert.is(addBusinessMs(at("2026-05-13T19:00:00+02:00"), 2 * H), at("2026-05-15T10:00:00+02:00"));
  // Friday 22 May 19:00 → weekend + Whit Monday 25 → Tuesday 26 10:00.
  assert.is(addBusinessMs(at("2026-05-22T19:00:00+02:00"), 2 * H), at("2026-05-26T10:00:00+02:00"));
  // A whole week with a holiday: 4 working days × 11 h.
  assert.is(businessMsBetween(at("2026-11-09T00:00:00+01:00"), at("2026-11-16T00:00:00+01:00")), 4 * 11 * H);
});

cal("daylight-saving change over a weekend: windows follow Paris wall-clock time", () => {
  // Summer time starts Sunday 29 March 2026.
  assert.is(addBusinessMs(at("2026-03-27T19:00:00+01:00"), 2 * H), at("2026-03-30T10:00:00+02:00"));
  // Winter time starts Sunday 25 October 2026.
  assert.is(addBusinessMs(at("2026-10-23T19:30:00+02:00"), 2 * H), at("2026-10-26T10:30:00+01:00"));
  assert.is(parisQuarter(at("2026-09-30T23:30:00+02:00")), "2026-Q3");
  assert.is(parisQuarter(at("2026-09-30T22:30:00Z")), "2026-Q4", "already 1 October in Paris");
});

const inc = suite("incidents and compensation");

const SUB = 12_000; // €120 a month

const incident = (
  id: string,
  start: string,
  end: string | undefined,
  origin: Incident["origin"] = "customer-report",
): Incident => ({
  id,
  origin,
  reportedAt: at(start),
  ...(end === undefined ? {} : { resolvedAt: at(end) }),
  monthlySubscriptionCents: SUB,
});

inc("met within 2 business hours even when it spans a night; business time elapsed is reported", () => {
  const i = incident("a", "2026-11-26T19:30:00+01:00", "2026-11-27T10:15:00+01:00");
  const r = assessIncident(i);
  assert.is(r.businessMs, 30 * 60_000 + 75 * 60_000);
  assert.is(r.deadline, at("2026-11-27T10:30:00+01:00"));
  assert.is(r.met, true);
  assert.is(r.missRank, 0);
  assert.is(r.compensationCapCents, 0);
});

inc("the clock starts at the earliest of detection and report", () => {
  const i: Incident = {
    id: "b",
    origin: "detection",
    detectedAt: at("2026-11-26T09:00:00+01:00"),
    reportedAt: at("2026-11-26T10:30:00+01:00"),
    resolvedAt: at("2026-11-26T11:30:00+01:00"),
    monthlySubscriptionCents: SUB,
  };
  const r = assessIncident(i);
  assert.is(r.start, at("2026-11-26T09:00:00+01:00"));
  assert.is(r.met, false);
  assert.is(r.businessMs, 2.5 * H);
});

inc(
  "first miss in a quarter: up to 1 month; second in the same quarter: up to 3; next quarter starts over",
  () => {
    const first = incident("1", "2026-10-05T10:00:00+02:00", "2026-10-05T15:00:00+02:00");
    const met = incident("2", "2026-10-20T10:00:00+02:00", "2026-10-20T11:00:00+02:00");
    const second = incident("3", "2026-12-01T10:00:00+01:00", "2026-12-02T10:00:00+01:00");
    const nextQuarter = incident("4", "2027-01-05T10:00:00+01:00", "2027-01-06T10:00:00+01:00");
    const all = [nextQuarter, second, met, first];
    assert.is(assessIncident(first, all).compensationCapCents, SUB);
    assert.is(assessIncident(met, all).compensationCapCents, 0);
    const r2 = assessIncident(second, all);
    assert.is(r2.missRank, 2);
    assert.is(r2.compensationCapCents, 3 * SUB);
    assert.is(assessIncident(nextQuarter, all).compensationCapCents, SUB);
    assert.is(compensationCap(SUB, 3), 3 * SUB, "never more than 3 months");
  },
);

inc("an open incident is late once the deadline has passed", () => {
  const open = incident("o", "2026-11-26T10:00:00+01:00", undefined);
  assert.is(assessIncident(open, [], { asOf: at("2026-11-26T11:00:00+01:00") }).met, undefined);
  const late = assessIncident(open, [], { asOf: at("2026-11-26T12:30:00+01:00") });
  assert.is(late.met, false);
  assert.is(late.compensationCapCents, SUB);
});

inc("a switch-over opens a detection incident resolved when DNS moved; a failback opens none", () => {
  const e = { reason: "missed-probes", detectedAt: 1000, promotedAt: 4000, dnsSwitchedAt: 4100 };
  const i = incidentFromTakeover(e, "sw-1", SUB);
  assert.equal(i, {
    id: "sw-1",
    origin: "detection",
    detectedAt: 1000,
    resolvedAt: 4100,
    monthlySubscriptionCents: SUB,
    note: "switch-over (missed-probes)",
  });
  assert.is(incidentFromTakeover({ ...e, reason: "failback" }, "x", SUB), undefined);
});

cal.run();
inc.run();
