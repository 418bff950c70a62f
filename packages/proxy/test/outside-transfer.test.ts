import {
  createResponse,
  parseMessage,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
} from "@centrex/sip";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Caller } from "../src/caller.js";
import type { DialogEnds } from "../src/dialog-teardown.js";
import { ProxyRefusal } from "../src/errors.js";
import { type OutsideReferral, OutsideTransfers } from "../src/outside-transfer.js";
import type { Cancellable, ProxyContext } from "../src/proxy-context.js";

// The switch carrying out the transfer of an outside party, as a state machine between the
// transferor A (extension 202, who answered a carrier's call), the outside party C (the carrier's
// caller) and the target T: what it answers, what it writes into each dialog (bytes, as they
// would go out through the proxy), what it asks of the relay. The proxy around it is replaced by
// recorders: `placed` (the call to T, handed to the proxy's routing), `sent` (requests the switch
// wrote, passed along their route), `repointed` (the relay's transferor leg moved to T).
// test/outside-transfer.test.ts (e2e) runs the same with baresip phones, a carrier UA and SIPp.

const CALL = "carrier-call@127.0.0.2";
const OFFER =
  "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30010 RTP/AVP 0\r\n";
const T_ANSWER =
  "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30020 RTP/AVP 0\r\n";
const transferor: Caller = { customerId: 1, extension: "202", domain: "pbx.test" };

/** The carrier's call +33987654321 → 202's number, answered by 202. */
const ENDS: DialogEnds = {
  callId: CALL,
  from: "<sip:+33987654321@127.0.0.2>;tag=c-tag",
  to: "<sip:0123456782@127.0.0.1>;tag=a-tag",
  inviteCseq: 1,
  callerTag: "c-tag",
  calleeTag: "a-tag",
  caller: {
    contact: "sip:carrier@127.0.0.2:5070",
    target: { transport: "UDP", address: "127.0.0.2", port: 5070 },
  },
  callee: {
    contact: "sip:202@127.0.0.1:5062",
    target: { transport: "UDP", address: "127.0.0.1", port: 5062 },
  },
};

function world(o: { media?: boolean; intervals?: Record<string, number>; held?: boolean } = {}) {
  const answered: string[] = [];
  const partiesLeft: string[] = [];
  const placed: { req: SipRequest; tx: ServerTransactionLike; caller: Caller; original: string }[] = [];
  const sent: { req: SipRequest; tx: ServerTransactionLike | undefined }[] = [];
  const repointed: [string, string, string][] = [];
  const ended: string[] = [];
  const refreshed: string[] = [];
  const cancelled: string[] = [];
  const forks = new Map<ServerTransactionLike, Cancellable>();
  const logs: Record<string, unknown>[] = [];
  const log = (obj: Record<string, unknown>) => logs.push(obj);
  const ctx = {
    o: {
      stack: { sentBy: () => ({ host: "127.0.0.1", port: 5060 }) },
      ...(o.media !== false && {
        media: {
          // The transferor's last offer and the outside party's last answer, as each other got them.
          sdpFrom: (callId: string, tag: string) =>
            callId !== CALL
              ? undefined
              : tag === "c-tag"
                ? o.held
                  ? `${OFFER}a=recvonly\r\n`
                  : OFFER
                : o.held
                  ? `${OFFER.replace("30010", "30012")}a=sendonly\r\n`
                  : undefined,
          repoint: async (callId: string, tag: string, sdp: string) => {
            repointed.push([callId, tag, sdp]);
          },
          offerAs: async (_c: string, tag: string, sdp: string) => `offer as ${tag}: ${sdp.length}`,
          answerFrom: async (_c: string, tag: string, sdp: string) => {
            answered.push(`ack ${tag}:${sdp.length}`);
          },
          answerHeld: async (_c: string, offerTag: string, offer: string, tag: string, sdp: string) => {
            answered.push(`${offerTag}:${offer.includes("sendrecv")}:${tag}:${sdp === T_ANSWER}`);
            return `answer for ${tag}: ${sdp.length}`;
          },
        },
      }),
      logger: { info: log, warn: log, error: log, debug: log },
    },
    forks,
    dialogs: { partyLeft: (callId: string, tag: string) => partiesLeft.push(`${callId}:${tag}`) },
    placeTransferCall: async (
      req: SipRequest,
      tx: ServerTransactionLike,
      caller: Caller,
      original: string,
    ) => {
      placed.push({ req, tx, caller, original });
      forks.set(tx, { cancel: () => cancelled.push(req.callId) });
    },
    inject: (req: SipRequest, tx: ServerTransactionLike | undefined) => {
      sent.push({ req, tx });
    },
  } as unknown as ProxyContext;
  const ot = new OutsideTransfers(
    ctx,
    async (req) => {
      ended.push(`${req.method} ${req.callId}`);
    },
    (req) => refreshed.push(req.callId),
    (callId) => o.intervals?.[callId],
  );
  return { ot, placed, sent, repointed, ended, refreshed, cancelled, logs, answered, partiesLeft };
}

function serverTx(): ServerTransactionLike & { responses: SipResponse[] } {
  const responses: SipResponse[] = [];
  return {
    responses,
    respond: (res: SipResponse) => responses.push(res),
    respondStateless: (res: SipResponse) => responses.push(res),
  } as unknown as ServerTransactionLike & { responses: SipResponse[] };
}

function parse(lines: string[], body = ""): SipRequest {
  return parseMessage(
    Buffer.from(`${lines.join("\r\n")}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
  ) as SipRequest;
}

/** A request inside the carrier's call, from A (202) or from C (the carrier). */
function inCall(method: string, by: "A" | "C", cseq: number, extra: string[] = [], body = ""): SipRequest {
  const [from, to] =
    by === "A"
      ? ["<sip:0123456782@127.0.0.1>;tag=a-tag", "<sip:+33987654321@127.0.0.2>;tag=c-tag"]
      : ["<sip:+33987654321@127.0.0.2>;tag=c-tag", "<sip:0123456782@127.0.0.1>;tag=a-tag"];
  return parse(
    [
      `${method} sip:x@127.0.0.1 SIP/2.0`,
      "Via: SIP/2.0/UDP 127.0.0.9:5062;branch=z9hG4bK-t;rport",
      `From: ${from}`,
      `To: ${to}`,
      `Call-ID: ${CALL}`,
      `CSeq: ${cseq} ${method}`,
      "Max-Forwards: 70",
      ...extra,
    ],
    body,
  );
}

const referral = (replaces?: OutsideReferral["replaces"]): OutsideReferral => ({
  kind: "outside",
  transferor,
  target: "204",
  ...(replaces !== undefined && { replaces }),
});

const bodyOf = (req: SipRequest) => req.body.toString("utf8");

/** T's answer to the switch's INVITE, as the proxy's fork hands it back (SDP rewritten by the relay). */
function answer(invite: SipRequest, status: number, reason?: string): SipResponse {
  return createResponse(invite, status, reason, {
    toTag: "t-tag",
    headers: [
      ["Contact", "<sip:204@127.0.0.1:5064>"],
      ["Record-Route", "<sip:127.0.0.1:5060;lr>"],
    ],
    ...(status === 200 && { body: Buffer.from(T_ANSWER), contentType: "application/sdp" }),
  });
}

async function started(w: ReturnType<typeof world>, replaces?: OutsideReferral["replaces"]) {
  const tx = serverTx();
  await w.ot.start(inCall("REFER", "A", 20, ["Refer-To: <sip:204@pbx.test>"]), tx, referral(replaces), ENDS);
  const call = w.placed[0];
  assert.ok(call, "the switch placed no call to the target");
  return { tx, invite: call.req, targetTx: call.tx };
}

test("the REFER is accepted, the target called as the transferor's call from the outside party's number, with the relay's SDP", async () => {
  const w = world();
  const { tx, invite } = await started(w);
  assert.equal(
    tx.responses.map((r) => r.status),
    [202],
  );
  const notify = w.sent[0]?.req;
  assert.ok(notify);
  assert.is(notify.method, "NOTIFY");
  assert.is(notify.uri.raw, "sip:202@127.0.0.1:5062", "to the transferor's Contact");
  assert.is(notify.from.params.get("tag"), "c-tag", "as the outside party in the transferor's dialog");
  assert.is(notify.get("event"), "refer;id=20");
  assert.is(notify.get("subscription-state"), "active;expires=60");
  assert.is(bodyOf(notify), "SIP/2.0 100 Trying\r\n");
  assert.ok(notify.cseq.seq > 1, "a CSeq above the outside party's");

  assert.is(w.placed[0]?.original, CALL, "the new call's record links to the carrier's call");
  assert.equal(w.placed[0]?.caller, transferor, "placed and billed as the transferor's call");
  assert.is(invite.uri.raw, "sip:204@pbx.test");
  assert.is(invite.from.uri.raw, "sip:+33987654321@127.0.0.2", "the target sees the outside party's number");
  assert.is(invite.get("referred-by"), "<sip:202@pbx.test>");
  assert.is(bodyOf(invite), OFFER);
  assert.is(invite.get("replaces"), undefined);
  assert.is(w.ot.active, 1);
});

test("the target answers: ACK, the relay's transferor leg re-pointed, 200 NOTIFY; the transferor's BYE is answered and absorbed", async () => {
  const w = world();
  const { invite, targetTx } = await started(w);
  targetTx.respond(answer(invite, 180, "Ringing"));
  targetTx.respond(answer(invite, 200, "OK"));
  await new Promise((r) => setTimeout(r, 10));
  const [, ringing, ack, done] = w.sent.map((s) => s.req);
  assert.is(bodyOf(ringing!), "SIP/2.0 180 Ringing\r\n");
  assert.is(ack?.method, "ACK");
  assert.is(ack?.uri.raw, "sip:204@127.0.0.1:5064");
  assert.is(ack?.get("route"), "<sip:127.0.0.1:5060;lr>", "along the target's route set");
  assert.equal(w.repointed, [[CALL, "a-tag", T_ANSWER]], "the transferor's leg now points at the target's");
  assert.is(done?.method, "NOTIFY");
  assert.is(bodyOf(done!), "SIP/2.0 200 OK\r\n");
  assert.is(done?.get("subscription-state"), "terminated;reason=noresource");

  const bye = serverTx();
  assert.ok(await w.ot.intercept(inCall("BYE", "A", 21), bye));
  assert.is(bye.responses[0]?.status, 200);
  assert.is(w.ended.length, 0, "the carrier's call goes on: its end is not recorded");
  assert.equal(w.partiesLeft, [`${CALL}:a-tag`], "the transferor is off the call for lamps and hunt groups");
  assert.is(w.sent.length, 4, "nothing sent to the carrier");
});

test("bridged: the outside party's refresh is answered by the switch (through the relay), its BYE ends the target's call", async () => {
  const w = world();
  const { invite, targetTx } = await started(w);
  targetTx.respond(answer(invite, 200, "OK"));
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(await w.ot.intercept(inCall("BYE", "A", 21), serverTx()));

  const refresh = serverTx();
  const reinvite = inCall(
    "INVITE",
    "C",
    2,
    ["Session-Expires: 1800", "Content-Type: application/sdp"],
    OFFER,
  );
  assert.ok(await w.ot.intercept(reinvite, refresh));
  const ok = refresh.responses[0];
  assert.is(ok?.status, 200);
  assert.is(
    ok?.body.toString(),
    `answer for a-tag: ${T_ANSWER.length}`,
    "the answer is where the leg points",
  );
  assert.is(ok?.get("session-expires"), "1800;refresher=uac");
  assert.equal(w.refreshed, [CALL], "the session timer restarts");
  assert.ok(w.ot.absorbsAck(inCall("ACK", "C", 2)), "the refresh's ACK is not forwarded to the transferor");
  assert.equal(
    w.answered,
    ["c-tag:false:a-tag:true"],
    "the re-offer went through the relay; the ACK adds nothing",
  );

  // An offerless re-INVITE: the switch offers where the leg points, the ACK carries the answer.
  const offerless = serverTx();
  assert.ok(await w.ot.intercept(inCall("INVITE", "C", 3), offerless));
  assert.is(offerless.responses[0]?.body.toString(), `offer as a-tag: ${T_ANSWER.length}`);
  assert.ok(
    w.ot.absorbsAck(inCall("ACK", "C", 3, ["Content-Type: application/sdp"], OFFER)),
    "not forwarded either",
  );
  assert.equal(w.answered.slice(1), [`ack c-tag:${OFFER.length}`]);

  const bye = serverTx();
  assert.ok(await w.ot.intercept(inCall("BYE", "C", 4), bye));
  assert.is(bye.responses[0]?.status, 200);
  assert.equal(w.ended, [`BYE ${CALL}`], "the carrier's call's end is recorded");
  const toTarget = w.sent.at(-1)?.req;
  assert.is(toTarget?.method, "BYE");
  assert.is(toTarget?.callId, invite.callId);
  assert.is(toTarget?.uri.raw, "sip:204@127.0.0.1:5064");
  assert.is(toTarget?.cseq.seq, 2, "the target's dialog: INVITE 1, BYE 2");
  assert.is(w.ot.active, 0);
});

test("bridged: the target's BYE is answered and becomes a BYE to the outside party, in its dialog as the transferor", async () => {
  const w = world();
  const { invite, targetTx } = await started(w);
  targetTx.respond(answer(invite, 200, "OK"));
  await new Promise((r) => setTimeout(r, 10));
  const fromTarget = parse([
    "BYE sip:transfer@127.0.0.1:5060 SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:5064;branch=z9hG4bK-tb;rport",
    "From: <sip:204@pbx.test>;tag=t-tag",
    `To: ${invite.get("from")}`,
    `Call-ID: ${invite.callId}`,
    "CSeq: 7 BYE",
    "Max-Forwards: 70",
  ]);
  const tx = serverTx();
  assert.ok(await w.ot.intercept(fromTarget, tx));
  assert.is(tx.responses[0]?.status, 200);
  assert.equal(w.ended, [`BYE ${invite.callId}`]);
  const bye = w.sent.at(-1)?.req;
  assert.is(bye?.method, "BYE");
  assert.is(bye?.callId, CALL);
  assert.is(bye?.uri.raw, "sip:carrier@127.0.0.2:5070", "to the outside party's Contact");
  assert.is(bye?.from.params.get("tag"), "a-tag", "as the transferor");
  assert.is(bye?.to.params.get("tag"), "c-tag");
  assert.ok((bye?.cseq.seq ?? 0) > 21, "above every CSeq the transferor used");
});

test("the target refuses: the transferor is told (NOTIFY 486), the call stays its own; with the transferor gone, the outside party gets a BYE", async () => {
  const w = world();
  const { invite, targetTx } = await started(w);
  targetTx.respond(answer(invite, 486, "Busy Here"));
  const notify = w.sent.at(-1)?.req;
  assert.is(bodyOf(notify!), "SIP/2.0 486 Busy Here\r\n");
  assert.is(w.repointed.length, 0);
  assert.is(w.ot.active, 0);
  // The call is the transferor's again: its BYE goes on to the carrier (not intercepted).
  assert.not.ok(await w.ot.intercept(inCall("BYE", "A", 21), serverTx()));

  const v = world();
  const second = await started(v);
  assert.ok(await v.ot.intercept(inCall("BYE", "A", 21), serverTx()), "absorbed while the target rings");
  second.targetTx.respond(answer(second.invite, 480, "Temporarily Unavailable"));
  const bye = v.sent.at(-1)?.req;
  assert.is(bye?.method, "BYE");
  assert.is(bye?.callId, CALL);
  assert.is(bye?.uri.raw, "sip:carrier@127.0.0.2:5070");
  assert.is(v.sent.filter((s) => s.req.method === "NOTIFY").length, 1, "no NOTIFY to a transferor that left");
});

test("the outside party hangs up while the target rings: its BYE goes to the transferor as before, the target's call is cancelled", async () => {
  const w = world();
  const { invite, targetTx } = await started(w);
  assert.not.ok(await w.ot.intercept(inCall("BYE", "C", 2), serverTx()), "forwarded to the transferor");
  assert.equal(w.cancelled, [invite.callId]);
  // The target answers anyway (the CANCEL crossed its 200): it gets ACK and BYE at once.
  targetTx.respond(answer(invite, 200, "OK"));
  assert.equal(
    w.sent.slice(-2).map((s) => [s.req.method, s.req.callId]),
    [
      ["ACK", invite.callId],
      ["BYE", invite.callId],
    ],
  );
  assert.is(w.repointed.length, 0);
});

test("attended: the Replaces of the REFER goes into the switch's INVITE; a second REFER meanwhile is 491; no relay is 501", async () => {
  const w = world();
  const r = { callId: "consult@x", toTag: "t1", fromTag: "a1" };
  const { invite } = await started(w, r);
  assert.is(invite.get("replaces"), "consult@x;to-tag=t1;from-tag=a1");
  const again = w.ot.start(inCall("REFER", "A", 22), serverTx(), referral(), ENDS);
  const err = await again.catch((e: unknown) => e);
  assert.ok(err instanceof ProxyRefusal);
  assert.is(err.status, 491);

  const bare = world({ media: false });
  const no = await bare.ot
    .start(inCall("REFER", "A", 20), serverTx(), referral(), ENDS)
    .catch((e: unknown) => e);
  assert.ok(no instanceof ProxyRefusal);
  assert.is(no.status, 501);
  assert.match(no.headers[0]?.[1] ?? "", /does not go through the relay/);
  assert.is(bare.placed.length, 0);
});

test("bridged: the switch refreshes the outside party's session (the transferor may have been its refresher) with a bodiless UPDATE at half the interval", async () => {
  const w = world({ intervals: { [CALL]: 1 } });
  const { invite, targetTx } = await started(w);
  targetTx.respond(answer(invite, 200, "OK"));
  await new Promise((r) => setTimeout(r, 10));
  const before = w.sent.length;
  await new Promise((r) => setTimeout(r, 600));
  const update = w.sent[before];
  assert.ok(update, "no refresh sent");
  assert.equal(
    [update.req.method, update.req.callId, update.req.uri.raw],
    ["UPDATE", CALL, "sip:carrier@127.0.0.2:5070"],
  );
  assert.is(update.req.get("session-expires"), "1;refresher=uac");
  assert.is(update.req.body.length, 0, "no offer: the media does not move");
  assert.is(update.req.from.params.get("tag"), "a-tag");
  // Answered: the next one is scheduled; the call ends: none is sent any more.
  update.tx?.respond(createResponse(update.req, 200, "OK"));
  assert.ok(await w.ot.intercept(inCall("BYE", "C", 9), serverTx()));
  await new Promise((r) => setTimeout(r, 600));
  assert.is(w.sent.filter((s) => s.req.method === "UPDATE").length, 1);
});

test("the transferor had put the outside party on hold: the target is offered sendrecv, and the switch takes the outside party off hold once bridged", async () => {
  const w = world({ held: true });
  const { invite, targetTx } = await started(w);
  assert.match(bodyOf(invite), "a=sendrecv");
  assert.not.match(bodyOf(invite), "recvonly");
  targetTx.respond(answer(invite, 200, "OK"));
  await new Promise((r) => setTimeout(r, 10));
  const resume = w.sent.find((s) => s.req.method === "INVITE");
  assert.ok(resume, "no re-INVITE to the outside party");
  assert.equal([resume.req.callId, resume.req.uri.raw], [CALL, "sip:carrier@127.0.0.2:5070"]);
  assert.is(resume.req.from.params.get("tag"), "a-tag", "in the transferor's place");
  assert.match(bodyOf(resume.req), "m=audio 30012", "the relay's socket facing the outside party");
  assert.match(bodyOf(resume.req), "o=- 1 2 IN IP4", "a new version of the session");
  assert.match(bodyOf(resume.req), "a=sendrecv");
  assert.ok(w.ot.owns(resume.req), "not re-anchored by the proxy on its way");
  const carrierSdp = `${OFFER}a=sendrecv\r\n`;
  resume.tx?.respond(
    createResponse(resume.req, 200, "OK", { body: Buffer.from(carrierSdp), contentType: "application/sdp" }),
  );
  await new Promise((r) => setTimeout(r, 10));
  const ack = w.sent.at(-1)?.req;
  assert.equal([ack?.method, ack?.cseq.seq], ["ACK", resume.req.cseq.seq]);
  assert.equal(
    w.answered,
    ["c-tag:true:a-tag:true"],
    "the outside leg takes the new SDP, ours stays on the target",
  );
});

test("a call the switch ends from the middle (media timeout, session timer, operator) ends its partner", async () => {
  // The target's call: the switch placed it, so nothing of the middle's BYEs reaches the target.
  const w = world();
  const { invite, targetTx } = await started(w);
  targetTx.respond(answer(invite, 200, "OK"));
  await new Promise((r) => setTimeout(r, 10));
  const before = w.sent.length;
  w.ot.endedFromMiddle(invite.callId);
  assert.equal(
    w.sent.slice(before).map((s) => [s.req.method, s.req.callId]),
    [
      ["BYE", invite.callId],
      ["BYE", CALL],
    ],
  );
  assert.is(w.ot.active, 0);
  // The outside call (its BYEs sent by the middle): the target's call gets one.
  const v = world();
  const second = await started(v);
  second.targetTx.respond(answer(second.invite, 200, "OK"));
  await new Promise((r) => setTimeout(r, 10));
  const from = v.sent.length;
  v.ot.endedFromMiddle(CALL);
  assert.equal(
    v.sent.slice(from).map((s) => [s.req.method, s.req.callId]),
    [["BYE", second.invite.callId]],
  );
});

test.run();
