import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createResponse } from "../src/message/index.js";
import type { SipMessage } from "../src/message/types.js";
import type { ServerTransactionLike } from "../src/transaction/index.js";
import { request, setup, TCP, UDP } from "./transaction-helpers.js";

const isStatus = (status: number) => (m: SipMessage) => m.kind === "response" && m.status === status;

/** Take the transaction the TU was handed for the n-th new request. */
function txOf(user: ReturnType<typeof setup>["user"], n = 0): ServerTransactionLike {
  const tx = user.requests[n]?.tx;
  if (tx === undefined) throw new Error(`no server transaction #${n}`);
  return tx;
}

const invite = suite("INVITE server transaction");

invite("100 Trying after 200 ms if the TU is silent; retransmissions re-send it, TU sees one INVITE", () => {
  const { clock, transport, layer, user } = setup();
  const req = request();
  layer.receiveRequest(req, UDP);
  const tx = txOf(user);
  assert.is(tx.state, "Proceeding");
  clock.advance(199);
  assert.is(transport.sent.length, 0);
  clock.advance(1);
  assert.equal(transport.times(isStatus(100)), [200]);
  const trying = transport.responses(100)[0]!;
  assert.is(trying.to.params.get("tag"), undefined); // 100 carries no To tag
  assert.is(trying.via[0]?.branch, "z9hG4bKtest1");
  assert.equal(transport.sent[0]?.target, UDP);
  clock.advance(300);
  layer.receiveRequest(request(), UDP); // retransmission, same bytes
  assert.equal(transport.times(isStatus(100)), [200, 500]);
  assert.is(user.requests.length, 1);
  layer.close();
});

invite("trying100Ms is configurable, and a TU answer in time suppresses it", () => {
  const now = setup({ trying100Ms: 0 });
  now.layer.receiveRequest(request({ extra: ["Timestamp: 54.2 0.1"] }), UDP);
  assert.equal(now.transport.times(isStatus(100)), [0]);
  assert.is(now.transport.responses(100)[0]?.get("timestamp"), "54.2 0.1"); // §8.2.6.1
  now.layer.close();

  const quick = setup();
  quick.user.onNew = (req, tx) => tx?.respond(createResponse(req, 180, undefined, { toTag: "t" }));
  quick.layer.receiveRequest(request(), UDP);
  quick.clock.advance(1000);
  assert.equal(quick.transport.times(isStatus(100)), []);
  assert.equal(quick.transport.times(isStatus(180)), [0]);
  quick.layer.close();
});

invite("UDP non-2xx: timer G doubles up to T2, timer H gives up at 64*T1", () => {
  const { clock, transport, layer, user } = setup();
  const req = request();
  let timedOut = -1;
  user.onNew = (_r, tx) => {
    if (tx) tx.delegate = { onTimeout: () => (timedOut = clock.now()) };
  };
  layer.receiveRequest(req, UDP);
  const tx = txOf(user);
  clock.advance(100);
  assert.ok(tx.respond(createResponse(req, 486, undefined, { toTag: "b1" })));
  assert.is(tx.state, "Completed");
  clock.advance(32_000);
  assert.equal(
    transport.times(isStatus(486)),
    [100, 600, 1600, 3600, 7600, 11600, 15600, 19600, 23600, 27600, 31600],
  );
  assert.is(timedOut, 32_100);
  assert.is(tx.state, "Terminated");
  assert.is(layer.size, 0);
});

invite(
  "retransmitted INVITE in Completed re-sends the final; ACK -> Confirmed, I = T4, ACKs absorbed",
  () => {
    const { clock, transport, layer, user } = setup();
    const req = request();
    layer.receiveRequest(req, UDP);
    const tx = txOf(user);
    const busy = createResponse(req, 486, undefined, { toTag: "b1" });
    tx.respond(busy);
    clock.advance(200);
    layer.receiveRequest(request(), UDP);
    assert.equal(transport.times(isStatus(486)), [0, 200]);
    // The ACK exactly as a client transaction builds it: from the response on the wire.
    const client = setup();
    const ctx = client.layer.sendRequest(request(), UDP, client.delegate);
    client.layer.receiveResponse(transport.responses(486)[0]!);
    const ack = client.transport.requests("ACK")[0]!;
    layer.receiveRequest(ack, UDP);
    assert.is(tx.state, "Confirmed");
    layer.receiveRequest(ack, UDP);
    assert.is(user.requests.length, 1); // neither INVITE nor ACKs reached the TU again
    clock.advance(10_000);
    assert.equal(transport.times(isStatus(486)), [0, 200]); // G stopped by the ACK
    assert.is(tx.state, "Terminated"); // I = 5 s after the ACK at 200
    assert.is(layer.size, 0);
    assert.is(ctx.state, "Completed");
    client.layer.close();
  },
);

invite("2xx -> Accepted: INVITE retransmissions absorbed, ACK (new branch) to the TU, L ends it", () => {
  const { clock, transport, layer, user } = setup();
  const req = request();
  layer.receiveRequest(req, UDP);
  const tx = txOf(user);
  const ok = createResponse(req, 200, undefined, { toTag: "b2" });
  assert.ok(tx.respond(ok));
  assert.is(tx.state, "Accepted");
  layer.receiveRequest(request(), UDP);
  assert.is(transport.sent.length, 1); // absorbed, nothing re-sent
  assert.is(user.requests.length, 1);
  assert.ok(tx.respond(ok)); // TU-driven 2xx retransmission goes out
  assert.not.ok(tx.respond(createResponse(req, 500, undefined, { toTag: "b2" })));
  assert.is(transport.sent.length, 2);
  const ack = request({ method: "ACK", branch: "z9hG4bKack2", toTag: "b2", uri: "sip:alice@127.0.0.1:5070" });
  layer.receiveRequest(ack, UDP);
  assert.is(user.requests.length, 2);
  assert.is(user.requests[1]?.tx, undefined);
  assert.is(user.requests[1]?.req.method, "ACK");
  clock.advance(31_999);
  assert.is(tx.state, "Accepted");
  clock.advance(1);
  assert.is(tx.state, "Terminated");
  assert.is(layer.size, 0);
});

invite("reliable transport: no G, ACK terminates at once", () => {
  const { clock, transport, layer, user } = setup();
  const req = request({ transport: "TCP" });
  layer.receiveRequest(req, TCP);
  const tx = txOf(user);
  tx.respond(createResponse(req, 404, undefined, { toTag: "n" }));
  clock.advance(20_000);
  assert.equal(transport.times(isStatus(404)), [0]);
  assert.is(transport.sent[0]?.target.connectionId, 7);
  layer.receiveRequest(request({ method: "ACK", transport: "TCP", toTag: "n" }), TCP);
  assert.is(tx.state, "Terminated");
  assert.is(layer.size, 0);
});

invite("respond rejects an impossible status", () => {
  const { layer, user } = setup();
  const req = request();
  layer.receiveRequest(req, UDP);
  const bad = createResponse(req, 200);
  Object.defineProperty(bad, "status", { value: 99 });
  assert.throws(() => txOf(user).respond(bad), /out of range/);
  layer.close();
});

invite.run();

const nonInvite = suite("non-INVITE server transaction");

nonInvite("UDP: Trying absorbs silently, final re-sent on retransmission, J = 64*T1", () => {
  const { clock, transport, layer, user } = setup();
  const req = request({ method: "OPTIONS" });
  layer.receiveRequest(req, UDP);
  const tx = txOf(user);
  assert.is(tx.state, "Trying");
  layer.receiveRequest(request({ method: "OPTIONS" }), UDP);
  assert.is(transport.sent.length, 0);
  assert.is(user.requests.length, 1);
  clock.advance(1000);
  assert.ok(tx.respond(createResponse(req, 183, undefined, { toTag: "o" })));
  assert.is(tx.state, "Proceeding");
  layer.receiveRequest(request({ method: "OPTIONS" }), UDP);
  assert.equal(transport.times(isStatus(183)), [1000, 1000]);
  assert.ok(tx.respond(createResponse(req, 200, undefined, { toTag: "o" })));
  assert.is(tx.state, "Completed");
  assert.not.ok(tx.respond(createResponse(req, 500, undefined, { toTag: "o" })));
  clock.advance(500);
  layer.receiveRequest(request({ method: "OPTIONS" }), UDP);
  assert.equal(transport.times(isStatus(200)), [1000, 1500]);
  assert.is(user.requests.length, 1);
  clock.advance(64 * 500 - 501);
  assert.is(tx.state, "Completed");
  clock.advance(1);
  assert.is(tx.state, "Terminated");
  assert.is(layer.size, 0);
  // The same request now is a new transaction (J over).
  layer.receiveRequest(request({ method: "OPTIONS" }), UDP);
  assert.is(user.requests.length, 2);
  layer.close();
});

nonInvite("reliable transport: terminated as soon as the final is sent", () => {
  const { transport, layer, user } = setup();
  user.onNew = (req, tx) => tx?.respond(createResponse(req, 200, undefined, { toTag: "r" }));
  layer.receiveRequest(request({ method: "REGISTER", transport: "TCP" }), TCP);
  assert.is(transport.sent.length, 1);
  assert.is(txOf(user).state, "Terminated");
  assert.is(layer.size, 0);
});

nonInvite("a request the TU never answers does not leak (guard at 128*T1)", () => {
  const { clock, layer, user } = setup();
  layer.receiveRequest(request({ method: "NOTIFY", toTag: "x" }), UDP);
  const tx = txOf(user);
  clock.advance(128 * 500 - 1);
  assert.is(tx.state, "Trying");
  clock.advance(1);
  assert.is(tx.state, "Terminated");
  assert.is(layer.size, 0);
  assert.is(layer.wheel.size, 0);
});

nonInvite("a transport failure terminates and tells the TU", () => {
  const { transport, layer, user } = setup();
  const errors: unknown[] = [];
  user.onNew = (req, tx) => {
    if (!tx) return;
    tx.delegate = { onTransportError: (_t, err) => errors.push(err) };
    transport.fail = true;
    assert.not.ok(tx.respond(createResponse(req, 200, undefined, { toTag: "r" })));
  };
  layer.receiveRequest(request({ method: "BYE", toTag: "x" }), UDP);
  assert.is(errors.length, 1);
  assert.is(txOf(user).state, "Terminated");
  assert.is(layer.size, 0);
});

nonInvite.run();
