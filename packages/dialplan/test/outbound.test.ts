import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  accessFor,
  type CustomerPolicy,
  changeClassAccess,
  type Decision,
  decideOutbound,
  PinAttemptTracker,
  PolicyChangeError,
  REFUSALS,
} from "../src/index.js";
import { acme, caller, data, MIN, plan, T0 } from "./fixtures.js";

function call(
  dialled: string,
  policy: CustomerPolicy,
  now = T0,
  tracker = new PinAttemptTracker(),
): Decision {
  return decideOutbound(dialled, caller, policy, data, now, tracker);
}

function code(d: Decision): string {
  return d.kind === "refuse" ? d.code : d.kind;
}

const ALL_EMERGENCY = ["15", "17", "18", "112", "114", "115", "116000", "116117", "119", "191", "196", "197"];

// ---------------------------------------------------------------------------------------------
const defaults = suite("defaults (rules 18-19)");

defaults("surcharged and non-EU international are barred; EU international needs a PIN", () => {
  const p = acme();
  for (const n of [
    "0899123456",
    "0810123456",
    "118712",
    "00442071234567",
    "0012125551234",
    "+81312345678",
    "+687123456",
  ]) {
    const d = call(n, p);
    assert.is(code(d), "destination-barred", n);
  }
  for (const n of ["004930123456", "+34911234567", "3646"]) assert.is(code(call(n, p)), "pin-required", n);
  for (const n of [
    "0144556677",
    "0612345678",
    "0262201234",
    "0800123456",
    "0809123456",
    "0970123456",
    "3020",
  ]) {
    const d = call(n, p);
    assert.is(d.kind, "pstn", n);
  }
});

defaults("barred refusal carries its own status and reason", () => {
  const d = call("0899123456", acme());
  assert.equal(d, {
    kind: "refuse",
    code: "destination-barred",
    status: 403,
    reason: "Destination barred",
    alert: false,
    detail: "class fr-premium",
  });
});

defaults("per-class override beats the default", () => {
  const p = acme({ access: { "fr-mobile": "barred", "intl-eu": "allowed" } });
  assert.is(code(call("0612345678", p)), "destination-barred");
  const d = call("+4930123456", p);
  assert.is(d.kind === "pstn" && d.e164, "+4930123456");
});

defaults.run();

// ---------------------------------------------------------------------------------------------
const pin = suite("PIN codes (rule 18)");

pin("right PIN opens a PIN class; the label is reported and the PIN stripped", () => {
  for (const dialled of ["*1234004930123456", "*1234#004930123456", "*1234 0049 30 12 34 56"]) {
    const d = call(dialled, acme());
    assert.equal(
      d,
      {
        kind: "pstn",
        number: "+4930123456",
        e164: "+4930123456",
        class: "intl-eu",
        zone: "eu-eea",
        territory: undefined,
        pinUsed: "boss",
      },
      dialled,
    );
  }
});

pin("right PIN toward an allowed class is fine", () => {
  const d = call("*12340144556677", acme());
  assert.is(d.kind === "pstn" && d.pinUsed, "boss");
  assert.is(d.kind === "pstn" && d.e164, "+33144556677");
});

pin("wrong PIN is refused, counted, and three in the window lock the phone", () => {
  const t = new PinAttemptTracker();
  const p = acme();
  const w1 = call("*9999004930123456", p, T0, t);
  assert.equal([w1.kind === "refuse" && w1.status, w1.kind === "refuse" && w1.reason], [403, "Wrong PIN"]);
  assert.is(w1.kind === "refuse" && w1.alert, false);
  assert.is(code(call("*9998004930123456", p, T0 + 1 * MIN, t)), "wrong-pin");
  const w3 = call("*9997004930123456", p, T0 + 2 * MIN, t);
  assert.is(code(w3), "wrong-pin");
  assert.is(w3.kind === "refuse" && w3.alert, true, "lockout start alerts the operator");
  // Locked: even the right PIN is refused, and so is a PIN toward an allowed class.
  const locked = call("*1234004930123456", p, T0 + 3 * MIN, t);
  assert.equal(
    [code(locked), locked.kind === "refuse" && locked.reason],
    ["pin-locked", "PIN dialling locked"],
  );
  assert.is(code(call("*12340144556677", p, T0 + 3 * MIN, t)), "pin-locked");
  // Only this phone is locked.
  const other = decideOutbound(
    "*1234004930123456",
    { customerId: "acme", extension: "202" },
    p,
    data,
    T0 + 3 * MIN,
    t,
  );
  assert.is(other.kind, "pstn");
  // Dialling without PIN still works where no PIN is needed.
  assert.is(call("0144556677", p, T0 + 3 * MIN, t).kind, "pstn");
  // Lockout expires after 30 minutes.
  assert.is(code(call("*1234004930123456", p, T0 + 2 * MIN + 30 * MIN - 1, t)), "pin-locked");
  assert.is(call("*1234004930123456", p, T0 + 2 * MIN + 30 * MIN, t).kind, "pstn");
});

pin("wrong PINs spread beyond the 10-minute window do not lock", () => {
  const t = new PinAttemptTracker();
  const p = acme();
  assert.is(code(call("*9999004930123456", p, T0, t)), "wrong-pin");
  assert.is(code(call("*9999004930123456", p, T0 + 6 * MIN, t)), "wrong-pin");
  assert.is(code(call("*9999004930123456", p, T0 + 11 * MIN, t)), "wrong-pin");
  assert.is(call("*1234004930123456", p, T0 + 12 * MIN, t).kind, "pstn");
  // A correct PIN clears the count.
  assert.is(code(call("*9999004930123456", p, T0 + 13 * MIN, t)), "wrong-pin");
  assert.is(code(call("*9999004930123456", p, T0 + 13 * MIN, t)), "wrong-pin");
  assert.is(call("*1234004930123456", p, T0 + 14 * MIN, t).kind, "pstn");
  assert.is(code(call("*9999004930123456", p, T0 + 14 * MIN, t)), "wrong-pin");
  assert.is(call("*1234004930123456", p, T0 + 14 * MIN, t).kind, "pstn");
});

pin("a barred class is refused even with the right PIN (and the PIN is not tried)", () => {
  const t = new PinAttemptTracker();
  assert.is(code(call("*123400442071234567", acme(), T0, t)), "destination-barred");
  for (let i = 0; i < 5; i++)
    assert.is(code(call("*999900442071234567", acme(), T0, t)), "destination-barred");
  assert.is(t.size, 0);
});

pin("malformed and incomplete PIN prefixes", () => {
  assert.is(code(call("*12", acme())), "address-incomplete");
  assert.is(code(call("*1234", acme())), "address-incomplete");
  assert.is(code(call("*1234#", acme())), "address-incomplete");
  assert.is(code(call("*12#0144556677", acme())), "invalid-number");
  assert.is(code(call("*72#0144556677", acme())), "invalid-number");
});

pin("a customer without PINs gets wrong-pin for any PIN", () => {
  assert.is(code(call("*1234004930123456", acme({ pins: [] }))), "wrong-pin");
});

pin.run();

// ---------------------------------------------------------------------------------------------
const admin = suite("administrator opening barred classes (rule 19)");

admin("opening a barred class goes to pin and returns an audit entry", () => {
  const p0 = acme();
  const { policy, audit } = changeClassAccess(p0, plan, {
    class: "intl-europe",
    to: "pin",
    who: "alice@acme",
    when: T0,
  });
  assert.equal(audit, { who: "alice@acme", when: T0, class: "intl-europe", from: "barred", to: "pin" });
  assert.is(accessFor(policy, plan, "intl-europe"), "pin");
  assert.is(accessFor(p0, plan, "intl-europe"), "barred", "the old policy is untouched");
  assert.is(code(call("00442071234567", policy)), "pin-required");
  const d = call("*1234#00442071234567", policy);
  assert.is(d.kind === "pstn" && d.zone, "europe");
});

admin("a barred class cannot jump straight to allowed, nor change without a name", () => {
  assert.throws(
    () => changeClassAccess(acme(), plan, { class: "fr-premium", to: "allowed", who: "alice", when: T0 }),
    (e: unknown) => e instanceof PolicyChangeError && /only be opened with PIN/.test(e.message),
  );
  assert.throws(
    () => changeClassAccess(acme(), plan, { class: "fr-premium", to: "pin", who: " ", when: T0 }),
    (e: unknown) => e instanceof PolicyChangeError && /administrator's name/.test(e.message),
  );
});

admin("a barred class opened to pin cannot then go to allowed (pin is not a step to allowed)", () => {
  const opened = changeClassAccess(acme(), plan, { class: "intl-world", to: "pin", who: "alice", when: T0 });
  assert.throws(
    () =>
      changeClassAccess(opened.policy, plan, { class: "intl-world", to: "allowed", who: "alice", when: T0 }),
    (e: unknown) => e instanceof PolicyChangeError && /only be opened with PIN/.test(e.message),
  );
});

admin("closing and reopening are recorded too; back to default drops the override", () => {
  const a = changeClassAccess(acme(), plan, { class: "fr-mobile", to: "barred", who: "bob", when: T0 });
  assert.equal(a.audit, { who: "bob", when: T0, class: "fr-mobile", from: "allowed", to: "barred" });
  assert.is(code(call("0612345678", a.policy)), "destination-barred");
  const b = changeClassAccess(a.policy, plan, { class: "fr-mobile", to: "pin", who: "bob", when: T0 + 1 });
  assert.equal(b.audit.from, "barred");
  const c = changeClassAccess(b.policy, plan, {
    class: "fr-mobile",
    to: "allowed",
    who: "bob",
    when: T0 + 2,
  });
  assert.equal(c.policy.access, {});
});

admin.run();

// ---------------------------------------------------------------------------------------------
const susp = suite("suspension (rules 16-17)");

function assertStillWorking(p: CustomerPolicy): void {
  assert.equal(call("202", p), { kind: "internal", extension: "202" }, "internal call");
  assert.is(call("2222", p).kind, "support", "support line");
  for (const n of ALL_EMERGENCY) assert.is(call(n, p).kind, "emergency", `emergency ${n}`);
}

susp("non-payment: every PSTN call refused; internal, support and emergency still work", () => {
  const p = acme({ suspension: { nonPayment: { incoming: "deliver" } } });
  for (const n of ["0144556677", "0612345678", "0800123456", "3020", "*1234004930123456"]) {
    const d = call(n, p);
    assert.equal(
      [code(d), d.kind === "refuse" && d.status, d.kind === "refuse" && d.reason],
      ["customer-suspended", 403, "Customer suspended"],
    );
  }
  assertStillWorking(p);
});

susp("total PSTN suspension after abnormal consumption", () => {
  const p = acme({ suspension: { pstn: { scope: "all" } } });
  for (const n of ["0144556677", "0800123456", "118712", "*1234004930123456"]) {
    const d = call(n, p);
    assert.equal([code(d), d.kind === "refuse" && d.reason], ["pstn-suspended", "PSTN access suspended"], n);
  }
  assertStillWorking(p);
});

susp("partial suspension: international only", () => {
  const p = acme({ suspension: { pstn: { scope: "international" } } });
  assert.is(code(call("*1234004930123456", p)), "pstn-suspended");
  assert.is(code(call("+687123456", p)), "pstn-suspended");
  assert.is(call("0144556677", p).kind, "pstn");
  assert.is(call("0262201234", p).kind, "pstn");
  assertStillWorking(p);
});

susp("partial suspension: a list of classes", () => {
  const p = acme({ suspension: { pstn: { scope: ["fr-mobile", "fr-overseas-mobile"] } } });
  assert.is(code(call("0612345678", p)), "pstn-suspended");
  assert.is(code(call("0692123456", p)), "pstn-suspended");
  assert.is(call("0144556677", p).kind, "pstn");
  assertStillWorking(p);
});

susp.run();

// ---------------------------------------------------------------------------------------------
const emerg = suite("emergency calls (rule 15)");

emerg("not routed until the location is declared: 403 + alert, whatever else applies", () => {
  const p = acme({ emergencyLocation: undefined });
  for (const n of ALL_EMERGENCY) {
    const d = call(n, p);
    assert.equal(
      [
        code(d),
        d.kind === "refuse" && d.status,
        d.kind === "refuse" && d.reason,
        d.kind === "refuse" && d.alert,
      ],
      ["emergency-location-not-declared", 403, "Emergency location not declared", true],
      n,
    );
  }
});

emerg("declared: routed free, to the commune's centre, with the real identity", () => {
  const d = call("15", acme());
  assert.equal(d, {
    kind: "emergency",
    service: "15",
    serviceName: "SAMU (medical emergency)",
    routing: "table",
    centreNumber: "0199007515",
    e164: "+33199007515",
    commune: "75056",
    department: "75",
    charge: "free",
    presentation: "real-identity",
    privacyAllowed: false,
  });
  const lyon = call("18", acme({ emergencyLocation: { department: "69", commune: "69123" } }));
  assert.is(lyon.kind === "emergency" && lyon.centreNumber, "0465716918");
  // A nationwide service falls back to the table's national entry.
  const n119 = call("119", acme({ emergencyLocation: { department: "13", commune: "13055" } }));
  assert.is(n119.kind === "emergency" && n119.centreNumber, "0199000119");
});

emerg("every emergency number routes for a fully covered commune", () => {
  for (const n of ALL_EMERGENCY) assert.is(call(n, acme()).kind, "emergency", n);
});

emerg("never blocked by barring, PINs, PIN lockout or suspension", () => {
  const t = new PinAttemptTracker({ maxFailures: 1 });
  call("*9999004930123456", acme(), T0, t);
  assert.ok(t.lockedUntil(PinAttemptTracker.key("acme", "201"), T0 + 1) !== undefined);
  const p = acme({
    pins: [],
    suspension: { nonPayment: { incoming: "refuse" }, pstn: { scope: "all" } },
    access: Object.fromEntries(
      ["fr-geographic", "fr-mobile", "fr-nongeographic", "fr-shared", "fr-free"].map((c) => [c, "barred"]),
    ),
  });
  assert.is(call("112", p, T0 + 1, t).kind, "emergency");
  assert.is(call("*9999112", p, T0 + 1, t).kind, "emergency", "with a wrong PIN prefix");
  assert.is(call("1 1 2", p, T0 + 1, t).kind, "emergency");
});

emerg("declared commune missing from the table: distinct refusal + alert", () => {
  const d = call("17", acme({ emergencyLocation: { department: "33", commune: "33063" } }));
  assert.equal([code(d), d.kind === "refuse" && d.alert], ["emergency-centre-unknown", true]);
  assert.is.not(d.kind === "refuse" && d.reason, REFUSALS["emergency-location-not-declared"].reason);
  // Commune known but without a centre for that service (Toulouse has no 116117 in the sample).
  const t = call("116117", acme({ emergencyLocation: { department: "31", commune: "31555" } }));
  assert.equal([code(t), t.kind === "refuse" && t.alert], ["emergency-centre-unknown", true]);
});

emerg("an inconsistent declaration counts as not declared", () => {
  const d = call("15", acme({ emergencyLocation: { department: "69", commune: "75056" } }));
  assert.is(code(d), "emergency-location-not-declared");
  assert.is(
    code(call("15", acme({ emergencyLocation: { department: "75", commune: "7505" } }))),
    "emergency-location-not-declared",
  );
});

emerg(
  "no emergency table: the carrier gets the short number and the commune, still only once declared",
  () => {
    const noTable = { ...data, emergency: undefined };
    const decide = (dialled: string, policy: CustomerPolicy) =>
      decideOutbound(dialled, caller, policy, noTable, T0, new PinAttemptTracker());
    const refused = decide("15", acme({ emergencyLocation: undefined }));
    assert.is(code(refused), "emergency-location-not-declared");
    assert.is(
      code(decide("17", acme({ emergencyLocation: { department: "69", commune: "75056" } }))),
      "emergency-location-not-declared",
    );
    for (const n of ALL_EMERGENCY) {
      const d = decide(n, acme({ emergencyLocation: { department: "33", commune: "33063" } }));
      assert.equal(d, {
        kind: "emergency",
        service: n,
        serviceName: d.kind === "emergency" ? d.serviceName : "",
        routing: "carrier",
        centreNumber: undefined,
        e164: undefined,
        commune: "33063",
        department: "33",
        charge: "free",
        presentation: "real-identity",
        privacyAllowed: false,
      });
    }
  },
);

emerg.run();

// ---------------------------------------------------------------------------------------------
const misc = suite("support line, internal, invalid");

misc("22 22 is reached from a phone; internal extensions resolve", () => {
  assert.equal(call("2222", acme()), { kind: "support", number: "2222" });
  assert.equal(call("22 22", acme()), { kind: "support", number: "2222" });
  assert.equal(call("3000", acme()), { kind: "internal", extension: "3000" });
});

misc("invalid numbers get 404, incomplete ones 484", () => {
  const bad = call("0830123456", acme());
  assert.equal(
    [bad.kind === "refuse" && bad.status, bad.kind === "refuse" && bad.reason],
    [404, "Not a valid number"],
  );
  const short = call("014455", acme());
  assert.equal(
    [short.kind === "refuse" && short.status, short.kind === "refuse" && short.reason],
    [484, "Address Incomplete"],
  );
});

misc("a policy of another customer is a programming error", () => {
  assert.throws(() =>
    decideOutbound("201", { customerId: "other", extension: "1" }, acme(), data, T0, new PinAttemptTracker()),
  );
});

misc.run();
