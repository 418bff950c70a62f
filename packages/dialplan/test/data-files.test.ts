import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  DESTINATION_CLASSES,
  DialplanDataError,
  loadEmergencyTable,
  loadNumberingPlan,
  parseEmergencyTable,
  parseNumberingPlan,
} from "../src/index.js";
import { emergency, plan, rawEmergency, rawPlan } from "./fixtures.js";

function fault(fn: () => unknown): DialplanDataError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DialplanDataError) return e;
    throw e;
  }
  throw new Error("expected a DialplanDataError");
}

test("the shipped plan and sample table load, with versions", () => {
  assert.is(plan.version, 1);
  assert.is(plan.name, "fr-numbering");
  for (const cls of DESTINATION_CLASSES) assert.ok(plan.classes[cls].label.length > 0);
  assert.is(emergency.version, 1);
  assert.is(emergency.sample, true, "the sample table says it is sample data");
  assert.equal([...emergency.communes.keys()].sort(), ["13055", "31555", "69123", "75056"]);
});

test("a plan with another version, or none, is refused by name", () => {
  const v2 = rawPlan();
  v2.version = 2;
  const e = fault(() => parseNumberingPlan(v2, "fr.json"));
  assert.is(e.path, "version");
  assert.match(e.message, /^fr\.json: version: unsupported version 2 \(this code reads version 1\)/);
  const none = rawPlan();
  delete none.version;
  assert.match(fault(() => parseNumberingPlan(none)).message, /version: missing/);
});

test("malformed plans: the error names the key and the value", () => {
  const cases: [mutate: (p: Record<string, unknown>) => void, path: string, msg: RegExp][] = [
    [
      (p) => ((p.classes as Record<string, { defaultAccess: string }>)["fr-mobile"]!.defaultAccess = "open"),
      "classes.fr-mobile.defaultAccess",
      /"open"/,
    ],
    [(p) => delete (p.classes as Record<string, unknown>)["intl-world"], "classes.intl-world", /missing/],
    [
      (p) => ((p.classes as Record<string, unknown>)["fr-bogus"] = { label: "x", defaultAccess: "pin" }),
      "classes.fr-bogus",
      /unknown destination class/,
    ],
    [(p) => ((p.national as { prefix: string }[])[0]!.prefix = "1a"), "national[0].prefix", /digits/],
    [(p) => ((p.national as { class: string }[])[3]!.class = "nope"), "national[3].class", /"nope"/],
    [
      (p) => (p.national as unknown[]).push({ prefix: "1", class: "fr-geographic" }),
      `national[${(rawPlan().national as unknown[]).length}].prefix`,
      /duplicate prefix "1"/,
    ],
    [(p) => ((p.emergency as { number: string }[])[1]!.number = "15"), "emergency[1].number", /duplicate/],
    [(p) => ((p.country as Record<string, unknown>).nsnLength = "9"), "country.nsnLength", /integer/],
    [(p) => (p.short = {}), "short", /expected an array/],
    [
      (p) => ((p.international as { defaultZone: string }).defaultZone = "mars"),
      "international.defaultZone",
      /"mars"/,
    ],
    [
      (p) =>
        (
          p.international as { zones: Record<string, { countryCodes: string[] }> }
        ).zones.europe!.countryCodes.unshift("49"),
      "international.zones.europe.countryCodes[0]",
      /already in zone "eu-eea"/,
    ],
    [
      (p) =>
        (
          p.international as { zones: Record<string, { countryCodes: string[] }> }
        ).zones.world!.countryCodes.unshift("262"),
      "international.zones.world.countryCodes[0]",
      /national plan/,
    ],
  ];
  for (const [mutate, path, msg] of cases) {
    const p = rawPlan();
    mutate(p);
    const e = fault(() => parseNumberingPlan(p, "plan.json"));
    assert.is(e.path, path, e.message);
    assert.match(e.message, msg);
    assert.ok(e.message.startsWith(`plan.json: ${path}: `), e.message);
  }
  assert.match(fault(() => parseNumberingPlan([])).message, /expected an object, got an array/);
});

test("malformed emergency tables name the fault", () => {
  const bad = rawEmergency();
  (bad.communes as Record<string, { centres: Record<string, string> }>)["75056"]!.centres["15"] = "15";
  const e = fault(() => parseEmergencyTable(bad, "em.json"));
  assert.is(e.path, "communes.75056.centres.15");
  assert.match(e.message, /10-digit French number/);
  const dep = rawEmergency();
  (dep.communes as Record<string, { department: string }>)["69123"]!.department = "75";
  assert.is(fault(() => parseEmergencyTable(dep)).path, "communes.69123.department");
  const ins = rawEmergency();
  (ins.communes as Record<string, unknown>)["7505"] = { name: "x", department: "75", centres: {} };
  assert.is(fault(() => parseEmergencyTable(ins)).path, "communes.7505");
  const v = rawEmergency();
  v.version = "1";
  assert.is(fault(() => parseEmergencyTable(v)).path, "version");
  // Corsica codes are valid.
  const corse = rawEmergency();
  (corse.communes as Record<string, unknown>)["2A004"] = {
    name: "Ajaccio",
    department: "2A",
    centres: { "15": "0495000015" },
  };
  assert.ok(parseEmergencyTable(corse).communes.has("2A004"));
});

test("loading from files: unreadable, not JSON, good", () => {
  const dir = mkdtempSync(join(tmpdir(), "dialplan-"));
  try {
    const missing = join(dir, "missing.json");
    assert.match(
      fault(() => loadNumberingPlan(missing)).message,
      new RegExp(`^${missing}: cannot read file \\(ENOENT\\)`),
    );
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ version: 1");
    assert.match(fault(() => loadEmergencyTable(broken)).message, /broken\.json: not valid JSON/);
    const good = join(dir, "plan.json");
    writeFileSync(good, JSON.stringify(rawPlan()));
    assert.is(loadNumberingPlan(good).version, 1);
    assert.is(loadNumberingPlan(rawPlan()).version, 1, "an already parsed object works too");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
