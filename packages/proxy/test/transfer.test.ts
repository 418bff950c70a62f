import { parseMessage, type ServerTransactionLike, type SipRequest, type SipResponse } from "@centrex/sip";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CallStarted } from "../src/call-events.js";
import type { DialogEnds } from "../src/dialog-teardown.js";
import { DialogTracker } from "../src/dialogs.js";
import { ProxyRefusal } from "../src/errors.js";
import type { ProxyContext } from "../src/proxy-context.js";
import { parseReferTo, TRANSFER_WINDOW_MS, TransferRules } from "../src/transfer.js";

// Customer 1 (pbx.test) has extensions 201, 202, 203 and group 600; customer 2 has 301.
const EXTENSIONS: Record<string, number> = { "1:201": 1, "1:202": 2, "1:203": 3, "2:301": 4, "2:302": 5 };
const BARRED = "0899123456";
const PSTN = "0612345678";

interface Logged {
  level: string;
  obj: Record<string, unknown>;
}

function world() {
  let now = 1_000_000;
  const logs: Logged[] = [];
  const log = (level: string) => (obj: Record<string, unknown>) => logs.push({ level, obj });
  const sources = new Map<string, string>(); // Call-ID → source address of the request
  const started: CallStarted[] = [];
  const realms: string[] = [];
  const challenges: SipResponse[] = [];
  // What a server transaction does with the 407 the REFER gets.
  const tx = {
    respondStateless: (res: SipResponse) => {
      challenges.push(res);
      return true;
    },
  } as unknown as ServerTransactionLike;
  const dialogs = new DialogTracker({ onCallStarted: (e) => started.push(e) }, () => now);
  const ctx = {
    o: {
      stack: {
        sourceOf: (req: SipRequest) => ({
          transport: "UDP",
          remoteAddress: sources.get(req.get("x-test-source") ?? "") ?? "127.0.0.1",
          remotePort: 5062,
          localAddress: "127.0.0.1",
          localPort: 5060,
        }),
      },
      // X-Test-Auth: the extension whose digest the REFER carries ("bad": a wrong one); none: 407.
      authenticator: {
        authenticate: async (req: SipRequest, realm: string) => {
          realms.push(realm);
          const user = req.get("x-test-auth");
          if (user === undefined)
            return {
              ok: false,
              response: { status: 407, reason: "Proxy Authentication Required" },
              reason: "no-credentials",
            };
          if (user === "bad")
            return {
              ok: false,
              response: { status: 403, reason: "Forbidden - Bad credentials" },
              reason: "bad-credentials",
            };
          const [customerId, username] = user.split(":");
          return { ok: true, username, credentials: { customerId: Number(customerId) } };
        },
      },
      store: {
        customers: { get: async (id: number) => ({ id, domain: id === 1 ? "pbx.test" : "other.test" }) },
        extensions: {
          find: async (customerId: number, number: string) => {
            const id = EXTENSIONS[`${customerId}:${number}`];
            return id === undefined ? undefined : { id, customerId, number, enabled: true };
          },
        },
        ringGroups: {
          find: async (customerId: number, number: string) =>
            customerId === 1 && number === "600" ? { id: 1, members: [1, 2] } : undefined,
        },
      },
      policy: {
        decide: async (dialled: string) =>
          dialled === BARRED
            ? {
                kind: "refuse",
                code: "destination-barred",
                status: 403,
                reason: "Forbidden - Destination barred",
                alert: false,
              }
            : dialled === PSTN
              ? { kind: "pstn", number: "+33612345678", e164: "+33612345678", class: "mobile" }
              : { kind: "internal" },
      },
      logger: { info: log("info"), warn: log("warn"), debug: log("debug"), error: log("error") },
    },
    dialogs,
    now: () => now,
  } as unknown as ProxyContext;
  const ends = new Map<string, DialogEnds>();
  const rules = new TransferRules(ctx, (id) => ends.get(id));
  return {
    rules,
    /** The REFER as the proxy's in-dialog relay checks it. */
    check: (req: SipRequest) => rules.checkRefer(req, tx),
    realms,
    challenges,
    dialogs,
    logs,
    started,
    advance: (ms: number) => {
      now += ms;
    },
    /** An answered call 201 → 202 (or as given), both phones on 127.0.0.1. */
    call(callId: string, caller = "201", callee = "202", customerId = 1) {
      const party = (ext: string) => ({ customerId, extension: ext, uri: `sip:${ext}@pbx.test` });
      dialogs.started(
        callId,
        "tag-caller",
        party(caller),
        callee,
        { direction: "internal", destinationClass: "internal" },
        party(callee),
      );
      dialogs.answered(callId, "tag-caller", "tag-callee");
      const phone = {
        contact: "sip:x@127.0.0.1:5062",
        target: { transport: "UDP", address: "127.0.0.1", port: 5062 },
      };
      ends.set(callId, {
        callId,
        from: "<sip:x@pbx.test>;tag=tag-caller",
        to: "<sip:y@pbx.test>;tag=tag-callee",
        inviteCseq: 1,
        callerTag: "tag-caller",
        calleeTag: "tag-callee",
        caller: phone,
        callee: phone,
      });
    },
    /** An answered call from the PSTN (a carrier's caller, no extension) that `callee` answered. */
    inbound(callId: string, callee = "202") {
      dialogs.started(
        callId,
        "tag-caller",
        { customerId: 1, uri: "sip:+33987654321@127.0.0.2" },
        "0123456781",
        { direction: "inbound", destinationClass: "inbound", called: "+33123456781" },
        { customerId: 1, extension: callee, uri: "sip:0123456781@127.0.0.1" },
      );
      dialogs.answered(callId, "tag-caller", "tag-callee");
      ends.set(callId, { ...phoneEnds(callId) });
    },
    /** 201 (customer 1) calls the support line: the operator's extension 301 (customer 2) answers. */
    support(callId: string) {
      dialogs.started(
        callId,
        "tag-caller",
        { customerId: 1, extension: "201", uri: "sip:201@pbx.test" },
        "2222",
        { direction: "internal", destinationClass: "support", called: "2222" },
        { customerId: 2, extension: "301", uri: "sip:2222@pbx.test" },
      );
      dialogs.answered(callId, "tag-caller", "tag-callee");
      ends.set(callId, { ...phoneEnds(callId) });
    },
    /** 201 calls group 600; `member` answers it (the call's callee becomes the member). */
    group(callId: string, member: string) {
      const party = (ext: string) => ({ customerId: 1, extension: ext, uri: `sip:${ext}@pbx.test` });
      dialogs.started(
        callId,
        "tag-caller",
        party("201"),
        "600",
        { direction: "internal", destinationClass: "internal", called: "600" },
        party("600"),
      );
      dialogs.answered(callId, "tag-caller", "tag-callee", party(member));
      ends.set(callId, { ...phoneEnds(callId) });
    },
    sources,
  };
}

function phoneEnds(callId: string): DialogEnds {
  const phone = {
    contact: "sip:x@127.0.0.1:5062",
    target: { transport: "UDP", address: "127.0.0.1", port: 5062 },
  };
  return {
    callId,
    from: "<sip:x@pbx.test>;tag=tag-caller",
    to: "<sip:y@pbx.test>;tag=tag-callee",
    inviteCseq: 1,
    callerTag: "tag-caller",
    calleeTag: "tag-callee",
    caller: phone,
    callee: phone,
  };
}

/** A REFER inside call `callId`, sent by the callee (202) unless `byCaller`. */
function refer(
  callId: string,
  referTo: string | undefined,
  o: { byCaller?: boolean; source?: string; auth?: string | null; from?: string } = {},
): SipRequest {
  const [fromTag, toTag] = o.byCaller ? ["tag-caller", "tag-callee"] : ["tag-callee", "tag-caller"];
  // By default the REFER carries the sender's own credentials (customer 1); null: none.
  const auth = o.auth === undefined ? `1:${o.byCaller ? "201" : "202"}` : o.auth;
  const text = [
    "REFER sip:201@127.0.0.1:5062 SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-refer;rport",
    `From: <${o.from ?? `sip:${o.byCaller ? "201" : "202"}@pbx.test`}>;tag=${fromTag}`,
    `To: <sip:${o.byCaller ? "202" : "201"}@pbx.test>;tag=${toTag}`,
    `Call-ID: ${callId}`,
    "CSeq: 2 REFER",
    "Contact: <sip:202@127.0.0.1:5062>",
    ...(referTo === undefined ? [] : [`Refer-To: ${referTo}`]),
    ...(o.source === undefined ? [] : [`X-Test-Source: ${o.source}`]),
    ...(auth === null ? [] : [`X-Test-Auth: ${auth}`, 'Proxy-Authorization: Digest username="x"']),
    "Max-Forwards: 70",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return parseMessage(Buffer.from(text)) as SipRequest;
}

function invite(to: string, from = "201", referredBy?: string): SipRequest {
  const text = [
    `INVITE sip:${to}@pbx.test SIP/2.0`,
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-new;rport",
    `From: <sip:${from}@pbx.test>;tag=new`,
    `To: <sip:${to}@pbx.test>`,
    "Call-ID: new-call@test",
    "CSeq: 1 INVITE",
    `Contact: <sip:${from}@127.0.0.1:5062>`,
    ...(referredBy === undefined ? [] : [`Referred-By: <sip:${referredBy}@pbx.test>`]),
    "Max-Forwards: 70",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return parseMessage(Buffer.from(text)) as SipRequest;
}

async function refused(p: Promise<unknown>): Promise<ProxyRefusal> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProxyRefusal) return err;
    throw err;
  }
  assert.unreachable("the REFER was let through");
  throw new Error("unreachable");
}

const caller201 = { customerId: 1, extension: "201", domain: "pbx.test" };

test("blind transfer to an extension: authorised once, the transferee's INVITE is the transferor's call", async () => {
  const w = world();
  w.call("c1");
  await w.check(refer("c1", "<sip:203@pbx.test>"));
  assert.is(w.rules.pending, 1);
  // Another extension dialling the same target gets nothing; the transferee does, once.
  assert.is(w.rules.claim(invite("203", "203"), { ...caller201, extension: "203" }, "203"), undefined);
  const t = w.rules.claim(invite("203", "201", "202"), caller201, "203");
  assert.equal(t?.transferor, { customerId: 1, extension: "202" });
  assert.is(t?.original, "c1");
  assert.is(w.rules.claim(invite("203"), caller201, "203"), undefined);
  assert.ok(w.logs.some((l) => l.obj.event === "transfer-authorised"));
});

test("unknown target: 404 with a Warning and a log line, nothing authorised", async () => {
  const w = world();
  w.call("c1");
  const r = await refused(w.check(refer("c1", "<sip:299@pbx.test>")));
  assert.is(r.status, 404);
  assert.match(r.headers[0]?.[1] ?? "", /unknown transfer target/);
  assert.ok(w.logs.some((l) => l.level === "warn" && l.obj.event === "transfer-refused"));
  assert.is(w.rules.pending, 0);
  // Another customer's domain is not a target either.
  assert.is((await refused(w.check(refer("c1", "<sip:301@other.test>")))).status, 404);
});

test("a barred target is refused as the dialled call would be (status, reason, refusal code)", async () => {
  const w = world();
  w.call("c1");
  const r = await refused(w.check(refer("c1", `<sip:${BARRED}@pbx.test>`)));
  assert.is(r.status, 403);
  assert.is(r.reason, "Forbidden - Destination barred");
  assert.match(r.headers[0]?.[1] ?? "", /destination-barred/);
  // Feature codes are no transfer target.
  assert.is((await refused(w.check(refer("c1", "<sip:*21*0612345678%23@pbx.test>")))).status, 403);
});

test("a PSTN target is billed to the transferor; a forged Referred-By or another caller gets nothing", async () => {
  const w = world();
  w.call("c1");
  await w.check(refer("c1", `<sip:${PSTN}@pbx.test>`));
  // Customer 2's 301 claims to be referred by 202: no REFER of ours named it.
  assert.is(
    w.rules.claim(invite(PSTN, "301", "202"), { customerId: 2, extension: "301", domain: "o.test" }, PSTN),
    undefined,
  );
  // The transferee with a Referred-By naming someone else: its own call, not 202's.
  assert.is(w.rules.claim(invite(PSTN, "201", "203"), caller201, PSTN), undefined);
  assert.ok(w.logs.some((l) => l.obj.event === "transfer-referred-by-mismatch"));
  const t = w.rules.claim(invite(PSTN, "201"), caller201, PSTN);
  assert.equal(t?.transferor, { customerId: 1, extension: "202" });
});

test("the authorisation lapses after the window", async () => {
  const w = world();
  w.call("c1");
  await w.check(refer("c1", "<sip:203@pbx.test>"));
  w.advance(TRANSFER_WINDOW_MS + 1);
  assert.is(w.rules.claim(invite("203"), caller201, "203"), undefined);
  assert.is(w.rules.pending, 0);
});

test("a REFER outside a known call, or from another address than the party's phone, is refused", async () => {
  const w = world();
  assert.is((await refused(w.check(refer("nope", "<sip:203@pbx.test>")))).status, 481);
  w.call("c1");
  w.sources.set("spoof", "127.0.0.9");
  const r = await refused(w.check(refer("c1", "<sip:203@pbx.test>", { source: "spoof" })));
  assert.is(r.status, 403);
  assert.match(r.reason, /not from the transferring phone/);
});

test("attended: the call to replace must exist and be the transferor's", async () => {
  const w = world();
  w.call("c1"); // 201 → 202
  w.call("c2", "202", "203"); // 202 consults 203
  w.call("c3", "201", "203"); // a call 202 is not in
  const replaces = (id: string) =>
    `<sip:203@pbx.test?Replaces=${id}%3Bto-tag%3Dtag-callee%3Bfrom-tag%3Dtag-caller>`;
  await w.check(refer("c1", replaces("c2")));
  assert.is(w.rules.claim(invite("203"), caller201, "203")?.attended, true);
  assert.is((await refused(w.check(refer("c1", replaces("c9"))))).status, 481);
  assert.is((await refused(w.check(refer("c1", replaces("c3"))))).status, 403);
  assert.equal(parseReferTo(refer("c1", replaces("c2"))).replaces, {
    callId: "c2",
    toTag: "tag-callee",
    fromTag: "tag-caller",
  });
});

test("malformed REFERs get 400 naming the fault", async () => {
  const w = world();
  w.call("c1");
  assert.match((await refused(w.check(refer("c1", undefined)))).reason, "Missing Refer-To");
  assert.match((await refused(w.check(refer("c1", "<mailto:a@b>")))).reason, "Malformed Refer-To");
  assert.match(
    (await refused(w.check(refer("c1", "<sip:203@pbx.test?Replaces=c2>")))).reason,
    "Malformed Replaces",
  );
});

test("the transferred call's record links to the original call", () => {
  const w = world();
  w.dialogs.linkTransfer("new-call@test", "new", "c1");
  w.dialogs.started(
    "new-call@test",
    "new",
    { customerId: 1, extension: "202", uri: "sip:201@pbx.test" },
    "203",
    {
      direction: "internal",
      destinationClass: "internal",
    },
  );
  assert.is(w.started.at(-1)?.transferredFrom, "c1");
});

test("a REFER without credentials is challenged (407, the transferor's realm) and authorises nothing", async () => {
  const w = world();
  w.call("c1");
  assert.is(await w.check(refer("c1", `<sip:${PSTN}@pbx.test>`, { auth: null })), false);
  assert.is(w.challenges[0]?.status, 407);
  assert.equal(w.realms, ["pbx.test"]);
  assert.is(w.rules.pending, 0);
  assert.is(
    w.rules.claim(invite(PSTN), caller201, PSTN),
    undefined,
    "an unauthenticated REFER paid for a call",
  );
  // Answered with the transferor's credentials: authorised, and our credentials are not forwarded.
  const again = refer("c1", `<sip:${PSTN}@pbx.test>`);
  assert.is(await w.check(again), true);
  assert.is(again.get("proxy-authorization"), undefined);
  assert.is(w.rules.pending, 1);
});

test("a REFER with someone else's or wrong credentials is refused 403 (the transferee cannot make 202 pay)", async () => {
  const w = world();
  w.call("c1");
  // 201, the transferee, knows the dialog's tags: it forges 202's REFER with its own digest.
  const forged = await refused(w.check(refer("c1", `<sip:${PSTN}@pbx.test>`, { auth: "1:201" })));
  assert.is(forged.status, 403);
  assert.match(forged.reason, "Credentials are not the transferor's");
  assert.match(forged.headers[0]?.[1] ?? "", /Transfer refused/);
  // Another customer's 202 is not this one.
  assert.is((await refused(w.check(refer("c1", `<sip:${PSTN}@pbx.test>`, { auth: "2:202" })))).status, 403);
  assert.is((await refused(w.check(refer("c1", `<sip:${PSTN}@pbx.test>`, { auth: "bad" })))).status, 403);
  assert.is(w.rules.pending, 0);
  assert.ok(w.logs.some((l) => l.obj.event === "transfer-refused" && l.obj.status === 403));
});

test("the member who answered a ring-group call transfers it: authorised as that member's call", async () => {
  const w = world();
  w.group("g1", "203");
  // The REFER comes from the callee side, authenticated as 203 (not as the group 600).
  assert.is(await w.check(refer("g1", "<sip:202@pbx.test>", { auth: "1:203" })), true);
  const t = w.rules.claim(invite("202"), caller201, "202");
  assert.equal(t?.transferor, { customerId: 1, extension: "203" });
  assert.is(t?.original, "g1");
  // To the PSTN: the new call is the member's (billed to 203 under 203's rules), not the caller's.
  w.group("g3", "203");
  assert.is(await w.check(refer("g3", `<sip:${PSTN}@pbx.test>`, { auth: "1:203" })), true);
  assert.equal(w.rules.claim(invite(PSTN), caller201, PSTN)?.transferor, { customerId: 1, extension: "203" });
  // Another member's credentials are not the answering member's.
  w.group("g2", "203");
  assert.is((await refused(w.check(refer("g2", "<sip:202@pbx.test>", { auth: "1:202" })))).status, 403);
});

test("the callee of a PSTN call: its REFER is checked as its own call, then handed to the switch (a carrier does not act on REFER)", async () => {
  const w = world();
  w.inbound("p1", "202");
  // Challenged like any transfer: the answering extension's realm and credentials.
  assert.is(await w.check(refer("p1", "<sip:203@pbx.test>", { auth: null })), false);
  assert.is(w.challenges.length, 1);
  // The callee's From is the DID's URI as the carrier wrote it: targets are in the customer's domain.
  const from = "sip:0123456781@127.0.0.1";
  // Its barring applies to the target first, and an unknown target is refused on the REFER.
  assert.is((await refused(w.check(refer("p1", `<sip:${BARRED}@pbx.test>`, { from })))).status, 403);
  assert.is((await refused(w.check(refer("p1", "<sip:299@pbx.test>", { from })))).status, 404);
  for (const target of ["203", PSTN]) {
    const ruling = await w.check(refer("p1", `<sip:${target}@pbx.test>`, { from }));
    // The switch places the call itself, as 202's: nothing pending for a transferee's INVITE.
    assert.equal(ruling, {
      kind: "outside",
      transferor: { customerId: 1, extension: "202", domain: "pbx.test" },
      target,
    });
  }
  assert.is(w.rules.pending, 0);
  assert.ok(w.logs.some((l) => l.obj.event === "transfer-authorised" && l.obj.transferee === "outside"));
});

test("the operator's extension hands a customer's caller on within the operator's domain: the transferee's INVITE to that domain is its target, not a 404", async () => {
  const w = world();
  w.support("s1");
  const ruling = await w.check(
    refer("s1", "<sip:302@other.test>", { auth: "2:301", from: "sip:301@other.test" }),
  );
  assert.is(ruling, true);
  const text = [
    "INVITE sip:302@other.test SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-x;rport",
    "From: <sip:201@pbx.test>;tag=new",
    "To: <sip:302@other.test>",
    "Call-ID: across@test",
    "CSeq: 1 INVITE",
    "Max-Forwards: 70",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  const inv = parseMessage(Buffer.from(text)) as SipRequest;
  // Another customer's domain is dialled only as the target of this REFER, by its transferee.
  assert.is(w.rules.dialledInTransferorDomain(inv, { ...caller201, extension: "202" }), undefined);
  assert.is(w.rules.dialledInTransferorDomain(inv, caller201), "302");
  assert.equal(w.rules.claim(inv, caller201, "302")?.transferor, { customerId: 2, extension: "301" });
  assert.is(w.rules.dialledInTransferorDomain(inv, caller201), undefined, "taken once");
});

test("a transferor that left an outside party's call (the switch holds it) is not on it any more for hunt groups; the call's end is recorded as it was", async () => {
  const left: string[] = [];
  const ended: string[] = [];
  const dialogs = new DialogTracker({
    onCallPartyLeft: (e) => left.push(`${e.callId}:${e.left}`),
    onCallEnded: (e) => {
      ended.push(`${e.callId}:${e.callee?.extension}`);
    },
  });
  dialogs.started(
    "p1",
    "tag-caller",
    { customerId: 1, uri: "sip:+33987654321@127.0.0.2" },
    "0123456781",
    { direction: "inbound", destinationClass: "inbound", called: "+33123456781" },
    { customerId: 1, extension: "202", uri: "sip:0123456781@127.0.0.1" },
  );
  dialogs.answered("p1", "tag-caller", "tag-callee");
  assert.ok(dialogs.onCall(1, "202"));
  dialogs.partyLeft("p1", "tag-callee");
  dialogs.partyLeft("p1", "tag-callee"); // once
  assert.equal(left, ["p1:callee"]);
  assert.not.ok(dialogs.onCall(1, "202"), "a hunt group may ring 202 again");
  await dialogs.ended("p1", "tag-caller", "tag-callee", 200, "caller-bye");
  assert.equal(ended, ["p1:202"], "the record still names 202 as the callee it was");
});

test.run();
