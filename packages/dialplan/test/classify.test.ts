import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  classifyDialled,
  DESTINATION_CLASSES,
  type DestinationClass,
  formatForCarrier,
  isReservedNumber,
  normaliseInbound,
} from "../src/index.js";
import { plan } from "./fixtures.js";

const ext = new Set(["201", "3000", "4711"]);

function pstn(dialled: string): { e164?: string; number: string; class: DestinationClass; zone?: string } {
  const r = classifyDialled(dialled, plan, ext);
  if (r.kind === "e164")
    return { e164: r.e164, number: r.e164, class: r.class, ...(r.zone ? { zone: r.zone } : {}) };
  if (r.kind === "short") return { number: r.number, class: r.class };
  throw new Error(`${dialled}: expected a PSTN target, got ${JSON.stringify(r)}`);
}

const CASES: Record<DestinationClass, [dialled: string, e164OrShort: string, zone?: string][]> = {
  "fr-geographic": [
    ["0144556677", "+33144556677"],
    ["0299001122", "+33299001122"],
    ["0388123456", "+33388123456"],
    ["0472000000", "+33472000000"],
    ["0561999999", "+33561999999"],
    ["+33144556677", "+33144556677"],
    ["0033561999999", "+33561999999"],
  ],
  "fr-mobile": [
    ["0612345678", "+33612345678"],
    ["0799887766", "+33799887766"],
    ["+33698765432", "+33698765432"],
  ],
  "fr-overseas-geographic": [
    ["0262201234", "+262262201234"],
    ["0263001234", "+262263001234"],
    ["0269612345", "+262269612345"],
    ["0590123456", "+590590123456"],
    ["0594123456", "+594594123456"],
    ["0596123456", "+596596123456"],
    ["+590590123456", "+590590123456"],
    ["00262262201234", "+262262201234"],
  ],
  "fr-overseas-mobile": [
    ["0639123456", "+262639123456"],
    ["0690123456", "+590690123456"],
    ["0692123456", "+262692123456"],
    ["0694123456", "+594694123456"],
    ["0696123456", "+596696123456"],
    ["+262693000000", "+262693000000"],
  ],
  "fr-free": [
    ["0800123456", "+33800123456"],
    ["0805999999", "+33805999999"],
  ],
  "fr-shared": [
    ["0806000000", "+33806000000"],
    ["0809123456", "+33809123456"],
  ],
  "fr-premium": [
    ["0810123456", "+33810123456"],
    ["0825000000", "+33825000000"],
    ["0899123456", "+33899123456"],
  ],
  "fr-nongeographic": [
    ["0970123456", "+33970123456"],
    ["0987654321", "+33987654321"],
  ],
  "fr-short-free": [
    ["3020", "3020"],
    ["3131", "3131"],
  ],
  "fr-short": [
    ["3646", "3646"],
    ["3949", "3949"],
    ["3200", "3200"],
  ],
  "fr-directory": [
    ["118712", "118712"],
    ["118218", "118218"],
  ],
  "fr-overseas-collectivity": [
    ["00508411234", "+508411234"],
    ["+687123456", "+687123456"],
    ["+68940123456", "+68940123456"],
  ],
  "intl-eu": [
    ["004930123456", "+4930123456", "eu-eea"],
    ["+34911234567", "+34911234567", "eu-eea"],
    ["0035312345678", "+35312345678", "eu-eea"],
    ["+4721234567", "+4721234567", "eu-eea"],
  ],
  "intl-europe": [
    ["00442071234567", "+442071234567", "europe"],
    ["+41221234567", "+41221234567", "europe"],
    ["+37797123456", "+37797123456", "europe"],
    ["+74951234567", "+74951234567", "europe"],
  ],
  "intl-north-america": [
    ["0012125551234", "+12125551234", "north-america"],
    ["+14165551234", "+14165551234", "north-america"],
  ],
  "intl-world": [
    ["+18765551234", "+18765551234", "world"],
    ["0081312345678", "+81312345678", "world"],
    ["+77011234567", "+77011234567", "world"],
    ["+2693212345", "+2693212345", "world"],
    ["+2348012345678", "+2348012345678", "world"],
  ],
};

test("every destination class has cases, and each case lands in its class", () => {
  for (const cls of DESTINATION_CLASSES) {
    const cases = CASES[cls];
    assert.ok(cases.length >= 2, `class ${cls} needs cases`);
    for (const [dialled, expected, zone] of cases) {
      const r = pstn(dialled);
      assert.is(r.class, cls, dialled);
      assert.is(r.number, expected, dialled);
      if (zone) assert.is(r.zone, zone, dialled);
    }
  }
});

test("emergency numbers win over everything, including an extension with the same digits", () => {
  for (const n of ["15", "17", "18", "112", "114", "115", "116000", "116117", "119", "191", "196", "197"]) {
    const r = classifyDialled(n, plan, new Set([n]));
    assert.is(r.kind, "emergency", n);
    assert.ok(isReservedNumber(n, plan));
  }
  assert.is(classifyDialled("116", plan).kind, "invalid");
  assert.is(classifyDialled("1161170", plan).kind, "invalid");
});

test("support line 2222 and internal extensions", () => {
  assert.equal(classifyDialled("2222", plan, new Set(["2222"])), { kind: "support", number: "2222" });
  assert.equal(classifyDialled("201", plan, ext), { kind: "extension", extension: "201" });
  // A customer extension shadows the short number with the same digits (documented).
  assert.equal(classifyDialled("3000", plan, ext), { kind: "extension", extension: "3000" });
  assert.is(classifyDialled("3000", plan).kind, "short");
  assert.equal(classifyDialled("4711", plan, ext), { kind: "extension", extension: "4711" });
  assert.is(classifyDialled("4711", plan).kind, "invalid");
});

test("edge lengths: short national → 484, long → 404, bad ranges → 404", () => {
  const code = (d: string) => {
    const r = classifyDialled(d, plan, ext);
    return r.kind === "invalid" ? r.code : r.kind;
  };
  assert.is(code("014455667"), "address-incomplete");
  assert.is(code("0"), "address-incomplete");
  assert.is(code("06"), "address-incomplete");
  assert.is(code("01445566778"), "invalid-number");
  assert.is(code("0830123456"), "invalid-number"); // 083 unassigned
  assert.is(code("0870123456"), "invalid-number");
  assert.is(code("00"), "address-incomplete");
  assert.is(code("+"), "address-incomplete");
  assert.is(code("+4930"), "address-incomplete");
  assert.is(code("+4930123456789012"), "invalid-number"); // 16 digits
  assert.is(code("+441234567"), "e164"); // 9 digits: ok
  assert.is(code("364"), "address-incomplete");
  assert.is(code("36461"), "invalid-number");
  assert.is(code("11871"), "address-incomplete");
  assert.is(code("1187123"), "invalid-number");
  assert.is(code("+262590123456"), "invalid-number"); // Guadeloupe range under Réunion's code
  assert.is(code("+3314455667"), "address-incomplete");
  assert.is(code("12a4"), "invalid-number");
  assert.is(code("9"), "invalid-number");
});

test("+33 with an extra national 0 and +33 on overseas ranges are normalised", () => {
  const r = classifyDialled("+330144556677", plan);
  assert.is(r.kind === "e164" && r.e164, "+33144556677");
  const o = classifyDialled("+33262201234", plan);
  assert.is(o.kind === "e164" && o.e164, "+262262201234");
});

test("inbound normalisation: +33, 0033, 33, national, overseas", () => {
  for (const raw of [
    "+33144556677",
    "0033144556677",
    "33144556677",
    "0144556677",
    "01 44 55 66 77",
    "+33 1-44.55.66.77",
  ]) {
    assert.is(normaliseInbound(raw, plan), "+33144556677", raw);
  }
  assert.is(normaliseInbound("0262201234", plan), "+262262201234");
  assert.is(normaliseInbound("+262262201234", plan), "+262262201234");
  assert.is(normaliseInbound("+442071234567", plan), "+442071234567");
  for (const bad of ["2222", "201", "014455667", "3314455667", "abc", ""]) {
    assert.is(normaliseInbound(bad, plan), undefined, bad);
  }
});

test("format for carrier, and national ⇄ E.164 round trips", () => {
  const national = [
    "0144556677",
    "0612345678",
    "0800123456",
    "0899123456",
    "0970123456",
    "0262201234",
    "0639123456",
    "0590123456",
    "0694123456",
    "0596123456",
  ];
  for (const n of national) {
    const e164 = normaliseInbound(n, plan)!;
    assert.ok(e164.startsWith("+"), n);
    assert.is(formatForCarrier(e164, "national", plan), n);
    assert.is(formatForCarrier(e164, "e164", plan), e164);
    assert.is(normaliseInbound(formatForCarrier(e164, "national", plan), plan), e164);
  }
  assert.is(formatForCarrier("+442071234567", "national", plan), "00442071234567");
  assert.is(normaliseInbound("00442071234567", plan), "+442071234567");
  assert.is(formatForCarrier("3646", "national", plan), "3646");
  assert.is(formatForCarrier("3646", "e164", plan), "3646");
});

test.run();
