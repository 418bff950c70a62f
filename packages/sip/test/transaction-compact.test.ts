import { test } from "uvu";
import * as assert from "uvu/assert";
import { createResponse } from "../src/message/index.js";
import type { SipMessage } from "../src/message/types.js";
import { RecordingDelegate, request, responseTo, setup, UDP } from "./transaction-helpers.js";

const wire = (m: SipMessage | undefined) => m?.toBuffer().toString();

test("completed server transactions keep request and response readable, byte for byte", () => {
  const { clock, transport, layer, user } = setup();
  const req = request({ method: "REGISTER" });
  const reqWire = wire(req);
  layer.receiveRequest(req, UDP);
  const tx = user.requests[0]?.tx;
  if (tx === undefined) throw new Error("no server transaction");
  const res = createResponse(req, 401, undefined, {
    toTag: "r",
    headers: [["WWW-Authenticate", "Digest x"]],
  });
  const resWire = wire(res);
  assert.ok(tx.respond(res));
  assert.is(tx.state, "Completed");
  // Held as bytes now: reads re-parse them.
  assert.is(wire(tx.request), reqWire);
  assert.is(tx.request.callId, req.callId);
  assert.is(wire(tx.lastResponse), resWire);
  assert.is(tx.lastResponse?.status, 401);
  // A retransmission gets exactly the bytes sent the first time.
  clock.advance(100);
  layer.receiveRequest(request({ method: "REGISTER" }), UDP);
  const sent = transport.responses(401).map((m) => m.toBuffer().toString());
  assert.equal(sent, [resWire, resWire]);
  assert.is(user.requests.length, 1);
  layer.close();
});

test("INVITE server non-2xx: timer G re-sends the same bytes after compaction; ACK still matches", () => {
  const { clock, transport, layer, user } = setup();
  const inv = request({ method: "INVITE" });
  layer.receiveRequest(inv, UDP);
  const tx = user.requests[0]?.tx;
  if (tx === undefined) throw new Error("no server transaction");
  const res = createResponse(inv, 407, undefined, { toTag: "p" });
  assert.ok(tx.respond(res));
  clock.advance(500);
  const sent = transport.responses(407).map((m) => m.toBuffer().toString());
  assert.equal(sent, [wire(res), wire(res)]);
  layer.receiveRequest(request({ method: "ACK", toTag: "p" }), UDP);
  assert.is(tx.state, "Confirmed");
  assert.is(user.requests.length, 1); // the ACK was absorbed by the transaction
  layer.close();
});

test("completed client transaction keeps its request and final response readable", () => {
  const { clock, layer } = setup();
  const delegate = new RecordingDelegate(clock);
  const req = request({ method: "OPTIONS" });
  const reqWire = wire(req);
  const tx = layer.sendRequest(req, UDP, delegate);
  const res = responseTo(req, 200, "c");
  layer.receiveResponse(res, UDP);
  assert.is(tx.state, "Completed");
  assert.is(wire(tx.request), reqWire);
  assert.is(tx.lastResponse?.status, 200);
  assert.is(wire(tx.lastResponse), wire(res));
  layer.close();
});

test.run();
