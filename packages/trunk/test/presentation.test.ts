import { parseMessage, type SipRequest } from "@centrex/sip";
import { openSqliteStore, type PhoneNumber } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { choosePresentation, extensionDid, presentation, requestedIdentity } from "../src/index.js";
import { plan } from "./helpers/stack.js";

function num(id: number, e164: string, extra: Partial<PhoneNumber> = {}): PhoneNumber {
  return { id, e164, customerId: 1, target: null, isMain: false, createdAt: 0, ...extra };
}

const MAIN = num(1, "+33140000000", { isMain: true, target: { kind: "group", id: 9 } });
const DID_201 = num(2, "+33140000201", { target: { kind: "extension", id: 201 } });
const SPARE = num(3, "+33140000999");
const NUMBERS = [MAIN, DID_201, SPARE];

test("default: the extension's own DID, else the main number", () => {
  assert.is(choosePresentation(NUMBERS, 201)?.number, "+33140000201");
  assert.is(choosePresentation(NUMBERS, 202)?.number, "+33140000000");
  assert.is(choosePresentation(NUMBERS, undefined)?.number, "+33140000000");
});

test("a requested number is presented only when the customer owns it", () => {
  assert.is(choosePresentation(NUMBERS, 202, { number: "+33140000999" })?.number, "+33140000999");
  // Someone else's number, or a made-up one: replaced by the customer's own.
  assert.is(choosePresentation(NUMBERS, 201, { number: "+33611223344" })?.number, "+33140000201");
  assert.is(choosePresentation(NUMBERS, 202, { number: "+33199999999" })?.number, "+33140000000");
});

test("withheld is kept; a customer without numbers presents nothing", () => {
  assert.equal(choosePresentation(NUMBERS, 202, { withheld: true }), {
    number: "+33140000000",
    withheld: true,
  });
  assert.is(choosePresentation([], 201, { number: "+33140000201" }), undefined);
  // No main number: the oldest number of the customer, never an empty identity.
  assert.is(choosePresentation([SPARE, num(7, "+33140000777")], 5)?.number, "+33140000999");
});

test("the extension DID prefers the main number when it points at the extension", () => {
  const mainToExt = num(10, "+33150000000", { isMain: true, target: { kind: "extension", id: 5 } });
  const other = num(4, "+33150000005", { target: { kind: "extension", id: 5 } });
  assert.is(extensionDid([other, mainToExt], 5)?.e164, "+33150000000");
  assert.is(extensionDid([other], 5)?.e164, "+33150000005");
  assert.is(extensionDid([other], 6), undefined);
});

test("store-backed presentation(customerId, extensionId, requested) never crosses customers", async () => {
  const store = openSqliteStore(":memory:");
  try {
    const acme = await store.customers.create({ name: "Acme", domain: "acme.pbx.test" });
    const other = await store.customers.create({ name: "Other", domain: "other.pbx.test" });
    const ext = await store.extensions.create({ customerId: acme.id, number: "201" });
    await store.numbers.create({ e164: "+33140000000", customerId: acme.id, isMain: true });
    await store.numbers.create({
      e164: "+33140000201",
      customerId: acme.id,
      target: { kind: "extension", id: ext.id },
    });
    await store.numbers.create({ e164: "+33160000000", customerId: other.id, isMain: true });
    assert.is((await presentation(store, acme.id, ext.id))?.number, "+33140000201");
    assert.is((await presentation(store, acme.id, undefined))?.number, "+33140000000");
    assert.is(
      (await presentation(store, acme.id, ext.id, { number: "+33160000000" }))?.number,
      "+33140000201",
    );
    assert.is(
      (await presentation(store, other.id, undefined, { number: "+33140000000" }))?.number,
      "+33160000000",
    );
  } finally {
    await store.close();
  }
});

function invite(headers: string, from = '"Bob" <sip:201@acme.pbx.test>;tag=t'): SipRequest {
  return parseMessage(
    Buffer.from(
      "INVITE sip:0142000000@acme.pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-x\r\n" +
        `From: ${from}\r\nTo: <sip:0142000000@acme.pbx.test>\r\nCall-ID: c@127.0.0.1\r\nCSeq: 1 INVITE\r\n` +
        `${headers}Content-Length: 0\r\n\r\n`,
    ),
  ) as SipRequest;
}

test("requestedIdentity reads P-Preferred-Identity (national or E.164) and privacy", () => {
  assert.equal(requestedIdentity(invite("P-Preferred-Identity: <sip:0140000999@acme.pbx.test>\r\n"), plan), {
    withheld: false,
    number: "+33140000999",
    displayName: "Bob",
  });
  assert.is(
    requestedIdentity(invite("P-Preferred-Identity: <tel:+33140000201>\r\n"), plan).number,
    "+33140000201",
  );
  assert.is(requestedIdentity(invite("Privacy: id\r\n"), plan).withheld, true);
  assert.is(
    requestedIdentity(invite("", '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=t'), plan).withheld,
    true,
  );
  // An extension number in From is no public number: nothing requested.
  assert.is(requestedIdentity(invite(""), plan).number, undefined);
});

test.run();
