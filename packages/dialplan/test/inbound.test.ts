import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type CustomerPolicy,
  type DidAssignment,
  decideInbound,
  type InboundDirectory,
} from "../src/index.js";
import { acme, plan } from "./fixtures.js";

function directory(policy: CustomerPolicy): InboundDirectory {
  const dids = new Map<string, DidAssignment>([
    ["+33144556677", { customerId: "acme", target: "201" }],
    ["+262262201234", { customerId: "acme", target: "ring:sales" }],
    ["+33155555555", { customerId: "ghost", target: "1" }],
  ]);
  return {
    did: (e164) => dids.get(e164),
    policy: (id) => (id === policy.customerId ? policy : undefined),
  };
}

test("a DID in any carrier form is delivered to its customer", () => {
  const dir = directory(acme());
  for (const called of ["+33144556677", "33144556677", "0144556677", "0033144556677"]) {
    assert.equal(
      decideInbound(called, dir, plan),
      { kind: "deliver", e164: "+33144556677", customerId: "acme", target: "201" },
      called,
    );
  }
  const reunion = decideInbound("0262201234", dir, plan);
  assert.is(reunion.kind === "deliver" && reunion.target, "ring:sales");
});

test("the support line is never reachable from a carrier", () => {
  const dir = directory(acme());
  for (const called of ["2222", "+332222", "332222", "00332222", "02222", "22 22"]) {
    const d = decideInbound(called, dir, plan);
    assert.equal(
      [d.kind === "refuse" && d.code, d.kind === "refuse" && d.status, d.kind === "refuse" && d.reason],
      ["support-not-reachable", 403, "Support line not reachable from outside"],
      called,
    );
  }
});

test("internal extensions are never reachable from a carrier", () => {
  const d = decideInbound("201", directory(acme()), plan);
  assert.equal(
    [d.kind === "refuse" && d.code, d.kind === "refuse" && d.status],
    ["internal-not-reachable", 403],
  );
  assert.is(decideInbound("15", directory(acme()), plan).kind, "refuse");
});

test("unknown DIDs and garbage", () => {
  const dir = directory(acme());
  const n = decideInbound("+33199999999", dir, plan);
  assert.equal(
    [n.kind === "refuse" && n.code, n.kind === "refuse" && n.status],
    ["number-not-assigned", 404],
  );
  const ghost = decideInbound("+33155555555", dir, plan);
  assert.equal(
    [ghost.kind === "refuse" && ghost.code, ghost.kind === "refuse" && ghost.alert],
    ["number-not-assigned", true],
  );
  const g = decideInbound("+33abc", dir, plan);
  assert.equal([g.kind === "refuse" && g.code, g.kind === "refuse" && g.status], ["invalid-number", 404]);
});

test("non-payment: incoming refused or delivered as configured", () => {
  const refused = decideInbound(
    "+33144556677",
    directory(acme({ suspension: { nonPayment: { incoming: "refuse" } } })),
    plan,
  );
  assert.equal(
    [refused.kind === "refuse" && refused.code, refused.kind === "refuse" && refused.status],
    ["incoming-suspended", 480],
  );
  const delivered = decideInbound(
    "+33144556677",
    directory(acme({ suspension: { nonPayment: { incoming: "deliver" } } })),
    plan,
  );
  assert.is(delivered.kind, "deliver");
  // A PSTN suspension (abuse) leaves incoming calls alone.
  const abuse = decideInbound(
    "+33144556677",
    directory(acme({ suspension: { pstn: { scope: "all" } } })),
    plan,
  );
  assert.is(abuse.kind, "deliver");
});

test.run();
