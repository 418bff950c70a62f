import { parseMessage, type SipRequest } from "@centrex/sip";
import { openSqliteStore } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { calledNumber, callingNumber, mainNumberFallback, routeInbound } from "../src/index.js";
import { plan } from "./helpers/stack.js";

test("DIDs in any carrier format reach their target; unknown, unrouted, support and short numbers are refused", async () => {
  const store = openSqliteStore(":memory:");
  try {
    const acme = await store.customers.create({ name: "Acme", domain: "acme.pbx.test" });
    const ext = await store.extensions.create({ customerId: acme.id, number: "201" });
    await store.numbers.create({
      e164: "+33140000201",
      customerId: acme.id,
      target: { kind: "extension", id: ext.id },
    });
    await store.numbers.create({ e164: "+33140000000", customerId: acme.id, isMain: true, target: null });
    for (const called of ["+33140000201", "0140000201", "0033140000201", "33140000201"]) {
      const r = await routeInbound(store, plan, called);
      assert.is(r.kind, "deliver", called);
      if (r.kind !== "deliver") continue;
      assert.is(r.e164, "+33140000201");
      assert.is(r.customerId, acme.id);
      assert.equal(r.target, { kind: "extension", id: ext.id });
      assert.is(r.isMain, false);
    }
    const unknown = await routeInbound(store, plan, "0140000999");
    assert.is(unknown.kind === "refuse" && unknown.status, 404);
    const unrouted = await routeInbound(store, plan, "+33140000000");
    assert.is(unrouted.kind === "refuse" && unrouted.status, 404);
    const support = await routeInbound(store, plan, "2222");
    assert.is(support.kind === "refuse" && support.code, "support-not-reachable");
    const short = await routeInbound(store, plan, "201");
    assert.is(short.kind === "refuse" && short.status, 403);
  } finally {
    await store.close();
  }
});

test("the main number is delivered with isMain so rule 22 can apply", async () => {
  const store = openSqliteStore(":memory:");
  try {
    const acme = await store.customers.create({ name: "Acme", domain: "acme.pbx.test" });
    const group = await store.ringGroups.create({ customerId: acme.id, number: "600", name: "Accueil" });
    await store.numbers.create({
      e164: "+33140000000",
      customerId: acme.id,
      isMain: true,
      target: { kind: "group", id: group.id },
    });
    const r = await routeInbound(store, plan, "0140000000");
    assert.ok(r.kind === "deliver" && r.isMain);
    assert.equal(r.kind === "deliver" && r.target, { kind: "group", id: group.id });
  } finally {
    await store.close();
  }
});

test("rule 22: main number with no reachable phone goes to the fallback number at the operator's cost", () => {
  assert.equal(mainNumberFallback({ isMain: true, reachablePhones: 0, fallbackNumber: "+33612345678" }), {
    kind: "fallback",
    number: "+33612345678",
    billedTo: "operator",
  });
  // Phones registered but the ring ended in 480/408/503: still an outage for this call.
  assert.is(
    mainNumberFallback({ isMain: true, reachablePhones: 2, fallbackNumber: "+33612345678", ringStatus: 480 })
      .kind,
    "fallback",
  );
  assert.is(
    mainNumberFallback({ isMain: true, reachablePhones: 2, fallbackNumber: "+33612345678" }).kind,
    "ring",
  );
  // Busy is an answer, not an outage.
  assert.is(
    mainNumberFallback({ isMain: true, reachablePhones: 2, fallbackNumber: "+33612345678", ringStatus: 486 })
      .kind,
    "ring",
  );
  // Only the main number, and only when a fallback was given.
  assert.is(
    mainNumberFallback({ isMain: false, reachablePhones: 0, fallbackNumber: "+33612345678" }).kind,
    "unavailable",
  );
  assert.is(
    mainNumberFallback({ isMain: true, reachablePhones: 0, fallbackNumber: null }).kind,
    "unavailable",
  );
});

test("called and calling numbers from a carrier INVITE", () => {
  const req = parseMessage(
    Buffer.from(
      "INVITE sip:0140000201@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK-c\r\n" +
        "From: <sip:0611223344@carrier.test>;tag=a\r\nTo: <sip:0140000201@127.0.0.1>\r\n" +
        "P-Asserted-Identity: <tel:+33611223355>\r\nCall-ID: x@127.0.0.2\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    ),
  ) as SipRequest;
  assert.is(calledNumber(req), "0140000201");
  assert.is(callingNumber(req, plan), "+33611223355");
  req.remove("p-asserted-identity");
  assert.is(callingNumber(req, plan), "+33611223344");
});

test.run();
