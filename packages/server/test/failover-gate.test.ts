// The failover gate and the stateless answers (RFC 3261 §8.2.7): a standby must answer a
// REGISTER 503 (its database belongs to replication), never the 401 the serving node's core
// gives a REGISTER without credentials before any transaction exists.
import { createResponse, parseMessage, type SipRequest, type TransactionUser } from "@centrex/sip";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { failoverGate } from "../src/switch/failover/gate.js";

const REGISTER = Buffer.from(
  "REGISTER sip:pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-gate-1\r\n" +
    "From: <sip:201@pbx.test>;tag=a\r\nTo: <sip:201@pbx.test>\r\nCall-ID: gate-1\r\nCSeq: 1 REGISTER\r\n" +
    "Contact: <sip:201@127.0.0.1:5070>\r\nContent-Length: 0\r\n\r\n",
);
const SOURCE = { transport: "UDP", address: "127.0.0.1", port: 5070 } as const;

test("the gate passes the core's stateless 401 on only while serving", () => {
  let serving = false;
  const inner: TransactionUser = {
    onRequest() {},
    onStrayResponse() {},
    answerStatelessly: (req) => createResponse(req, 401, undefined, { toTag: "x" }),
  };
  const gate = failoverGate(inner, () => serving);
  const req = parseMessage(REGISTER) as SipRequest;
  assert.is(gate.answerStatelessly?.(req, SOURCE), undefined, "standby: on to onRequest, which answers 503");
  serving = true;
  assert.is(gate.answerStatelessly?.(req, SOURCE)?.status, 401);
  // An inner TU without stateless answers: nothing either way.
  assert.is(
    failoverGate({ onRequest() {}, onStrayResponse() {} }, () => true).answerStatelessly?.(req, SOURCE),
    undefined,
  );
});

test.run();
