import {
  type ClientTransactionDelegate,
  createResponse,
  parseMessage,
  type SipRequest,
  type SipResponse,
  type TransactionLayer,
  type TransactionTarget,
} from "@centrex/sip";
import type { RingGroup } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseFeatureCode } from "../src/feature-codes.js";
import { Fork, type ForkOwner } from "../src/fork.js";
import { choosePickable, parsePickupCode, partyKey, pickupGroupOf, type RingingCall } from "../src/pickup.js";

test("*8 is group pickup, **EXT directed pickup; nothing else is", () => {
  assert.equal(parsePickupCode("*8"), { kind: "group" });
  assert.equal(parsePickupCode("**202"), { kind: "directed", extension: "202" });
  for (const other of ["*8#", "*80", "**", "***202", "**20a", "*98", "*21*202#", "8", "202"]) {
    assert.is(parsePickupCode(other), undefined, other);
  }
  // A feature code like the others: a transfer to it is refused, the proxy routes it to pickup.
  assert.equal(parseFeatureCode("*8"), { kind: "pickup", pickup: { kind: "group" } });
  assert.equal(parseFeatureCode("**203"), { kind: "pickup", pickup: { kind: "directed", extension: "203" } });
});

const group = (id: number, members: number[]): RingGroup =>
  ({ id, customerId: 1, number: String(600 + id), members }) as unknown as RingGroup;

test("a picker's pickup group: the other members of every group it is in", () => {
  const groups = [group(1, [11, 12, 13]), group(2, [13, 14]), group(3, [15, 16])];
  assert.equal([...pickupGroupOf(13, groups)].sort(), [11, 12, 14]);
  assert.equal([...pickupGroupOf(11, groups)].sort(), [12, 13]);
  assert.is(pickupGroupOf(17, groups).size, 0, "in no group: no pickup group");
});

const call = (over: Partial<RingingCall> & { name: string }): RingingCall & { name: string } => ({
  rings: new Set([12]),
  caller: undefined,
  since: 1000,
  taken: false,
  ...over,
});

test("the call taken: one ringing a wanted extension, the longest-waiting first", () => {
  const calls = [
    call({ name: "other", rings: new Set([20]), since: 10 }),
    call({ name: "newer", rings: new Set([12, 13]), since: 3000 }),
    call({ name: "older", rings: new Set([14]), since: 2000 }),
  ];
  const picker = { id: 11, key: "1:201" };
  assert.is(choosePickable(calls, new Set([12, 14]), picker)?.name, "older");
  assert.is(choosePickable(calls, new Set([13]), picker)?.name, "newer");
  assert.is(choosePickable(calls, new Set([99]), picker), undefined, "nothing ringing for 99");
});

test("not taken: an answered call or one being picked up, the picker's own call, one ringing the picker", () => {
  const calls = [
    call({ name: "answered", since: 1, taken: true }),
    call({ name: "mine", since: 2, caller: partyKey(1, "201") }),
    call({ name: "rings me too", since: 3, rings: new Set([11, 12]) }),
    call({ name: "free", since: 4 }),
  ];
  const picker = { id: 11, key: partyKey(1, "201") };
  assert.is(choosePickable(calls, new Set([12]), picker)?.name, "free");
  // The same number in another customer is another caller.
  assert.is(choosePickable(calls, new Set([12]), { id: 31, key: partyKey(2, "201") })?.name, "mine");
  assert.is(choosePickable(calls.slice(0, 1), new Set([12]), picker), undefined);
});

// ---------------------------------------------------------------- the fork a pickup joins

function parse(text: string): SipRequest {
  const m = parseMessage(Buffer.from(text));
  if (m.kind !== "request") throw new Error("not a request");
  return m;
}

function invite(branch: string): SipRequest {
  return parse(
    `INVITE sip:202@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=${branch}\r\n` +
      "Max-Forwards: 70\r\nFrom: <sip:201@pbx.test>;tag=a1\r\nTo: <sip:202@pbx.test>\r\n" +
      "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:201@127.0.0.1:5070>\r\nContent-Length: 0\r\n\r\n",
  );
}

/** A transaction layer that records what the fork sends and lets the test answer each branch. */
class FakeLayer {
  readonly sent: { req: SipRequest; delegate: ClientTransactionDelegate; tx: object }[] = [];
  readonly cancels: { tx: object; headers: readonly (readonly [string, string])[] }[] = [];
  sendRequest(req: SipRequest, _target: TransactionTarget, delegate: ClientTransactionDelegate): object {
    const tx = { request: req };
    this.sent.push({ req, delegate, tx });
    return tx;
  }
  cancel(tx: object, _d: ClientTransactionDelegate, headers: readonly (readonly [string, string])[] = []) {
    this.cancels.push({ tx, headers });
    return true;
  }
  answer(i: number, status: number): void {
    const s = this.sent[i]!;
    const res = parseMessage(createResponse(s.req, status, undefined, { toTag: `t${i}` }).toBuffer());
    s.delegate.onResponse(res as SipResponse, s.tx as never);
  }
}

const TARGET: TransactionTarget = { transport: "UDP", address: "127.0.0.1", port: 5080 };

/**
 * A caller's INVITE forked to one phone that rings, then a picker's branch added: the fork as a
 * pickup finds it. `relayed`: the statuses the caller got; `finals`: what the picker's branch heard.
 */
function pickedFork() {
  const layer = new FakeLayer();
  const relayed: number[] = [];
  const owner: ForkOwner = { onForkAnswered() {}, onForkFailed() {} };
  const serverTx = { respond: (r: SipResponse) => relayed.push(r.status) };
  const fork = new Fork(
    invite("z9hG4bKcaller"),
    serverTx as never,
    layer as unknown as TransactionLayer,
    owner,
  );
  fork.addBranch(invite("z9hG4bKb1"), TARGET);
  fork.started(60_000);
  layer.answer(0, 180);
  const finals: number[] = [];
  fork.addBranch(invite("z9hG4bKpicker"), { ...TARGET, port: 5090 }, (s) => finals.push(s));
  return { layer, fork, relayed, finals };
}

test("a branch added while the others ring: its answer wins, the others are cancelled as completed elsewhere", () => {
  const { layer, fork, relayed, finals } = pickedFork();
  layer.answer(1, 180);
  layer.answer(1, 200);
  layer.answer(1, 200); // a retransmitted 2xx: told once
  assert.equal(finals, [200]);
  assert.equal(relayed, [180, 180, 200, 200]);
  assert.is(layer.cancels.length, 1, "the phone that was ringing is cancelled");
  assert.is(layer.cancels[0]!.tx, layer.sent[0]!.tx);
  assert.equal(layer.cancels[0]!.headers, [["Reason", 'SIP;cause=200;text="Call completed elsewhere"']]);
  fork.noAnswer(); // the ring timer is cleared by the answer; nothing more happens
  assert.is(layer.cancels.length, 1);
});

test("a caller's CANCEL cancels every branch without the completed-elsewhere Reason; the picker's branch hears 487", () => {
  const { layer, fork, relayed, finals } = pickedFork();
  fork.cancel();
  assert.is(layer.cancels.length, 2);
  for (const c of layer.cancels) assert.equal(c.headers, []);
  layer.answer(1, 487);
  assert.equal(finals, [487]);
  assert.equal(relayed, [180, 487]);
});

test.run();
