import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { SipMessage } from "../src/message/types.js";
import { TransactionError } from "../src/transaction/index.js";
import { request, responseTo, setup, TCP, UDP } from "./transaction-helpers.js";

const isTxError = (e: unknown) => e instanceof TransactionError;
const isReq = (method: string) => (m: SipMessage) => m.kind === "request" && m.method === method;

const invite = suite("INVITE client transaction");

invite("UDP: timer A doubles without cap, timer B times out at 64*T1", () => {
  const { clock, transport, layer, delegate } = setup();
  const tx = layer.sendRequest(request(), UDP, delegate);
  assert.is(tx.state, "Calling");
  assert.is(layer.clientCount, 1);
  clock.advance(31_999);
  assert.equal(transport.times(isReq("INVITE")), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal(delegate.events, []);
  clock.advance(1);
  assert.equal(delegate.events, ["terminated@32000", "timeout@32000"]);
  assert.is(tx.state, "Terminated");
  assert.is(layer.size, 0);
  clock.advance(100_000);
  assert.is(transport.sent.length, 7);
});

invite("a provisional stops retransmissions and timer B; a non-2xx is ACKed, D absorbs its repeats", () => {
  const { clock, transport, layer, delegate, user } = setup();
  const req = request({ routes: ["<sip:127.0.0.1:5090;lr>", "<sip:127.0.0.2;lr>"], cseq: 41 });
  const tx = layer.sendRequest(req, UDP, delegate);
  clock.advance(600); // one retransmission
  layer.receiveResponse(responseTo(req, 180, "b9"));
  assert.is(tx.state, "Proceeding");
  clock.advance(60_000); // no more retransmissions, no timeout in Proceeding
  assert.equal(transport.times(isReq("INVITE")), [0, 500]);
  assert.equal(delegate.responses, [180]);

  const busy = responseTo(req, 486, "b9");
  layer.receiveResponse(busy);
  assert.is(tx.state, "Completed");
  assert.equal(delegate.responses, [180, 486]);
  const [ack] = transport.requests("ACK");
  assert.ok(ack);
  // §17.1.1.3: same Request-URI, top Via (branch), From, Call-ID, CSeq number; To from the response.
  assert.is(ack.uri.raw, req.uri.raw);
  assert.is(ack.via.length, 1);
  assert.is(ack.via[0]?.branch, "z9hG4bKtest1");
  assert.is(ack.cseq.seq, 41);
  assert.is(ack.cseq.method, "ACK");
  assert.is(ack.callId, req.callId);
  assert.is(ack.from.params.get("tag"), "a1");
  assert.is(ack.to.params.get("tag"), "b9");
  assert.equal(
    ack.route.map((r) => r.uri.raw),
    ["sip:127.0.0.1:5090;lr", "sip:127.0.0.2;lr"],
  );
  assert.is(ack.maxForwards, 70);
  assert.is(ack.body.length, 0);
  assert.equal(transport.sent.at(-1)?.target, UDP);

  // A retransmitted 486: ACK again, TU not bothered.
  clock.advance(1000);
  layer.receiveResponse(busy);
  assert.is(transport.requests("ACK").length, 2);
  assert.equal(delegate.responses, [180, 486]);
  assert.is(user.strays.length, 0);

  // Timer D (32 s) from the first 486 at t=60600.
  clock.advance(30_999);
  assert.is(tx.state, "Completed");
  clock.advance(1);
  assert.is(tx.state, "Terminated");
  assert.is(layer.size, 0);
  layer.receiveResponse(busy);
  assert.is(user.strays.length, 1); // no transaction any more
});

invite("2xx: Accepted passes 2xx retransmissions up for 64*T1, sends no ACK", () => {
  const { clock, transport, layer, delegate, user } = setup();
  const req = request();
  const tx = layer.sendRequest(req, UDP, delegate);
  const ok = responseTo(req, 200, "b2");
  layer.receiveResponse(ok);
  assert.is(tx.state, "Accepted");
  clock.advance(10_000);
  assert.equal(transport.times(isReq("INVITE")), [0]); // A stopped
  layer.receiveResponse(ok);
  assert.equal(delegate.responses, [200, 200]);
  assert.is(transport.requests("ACK").length, 0); // ACK for 2xx is the TU's job
  clock.advance(22_000); // timer M at 32 s
  assert.is(tx.state, "Terminated");
  assert.is(layer.size, 0);
  layer.receiveResponse(ok);
  assert.is(user.strays.length, 1);
});

invite("reliable transport: no retransmission, ACK then immediate termination", () => {
  const { clock, transport, layer, delegate } = setup();
  const req = request({ transport: "TCP" });
  const tx = layer.sendRequest(req, TCP, delegate);
  clock.advance(20_000);
  assert.is(transport.sent.length, 1);
  layer.receiveResponse(responseTo(req, 603, "x"));
  assert.is(transport.requests("ACK").length, 1);
  assert.is(transport.sent.at(-1)?.target.connectionId, 7);
  assert.is(tx.state, "Terminated");
  assert.is(layer.size, 0);
  assert.equal(delegate.events, ["603@20000", "terminated@20000"]);
});

invite("reliable transport: timer B still fires", () => {
  const { clock, transport, layer, delegate } = setup();
  layer.sendRequest(request({ transport: "TCP" }), TCP, delegate);
  clock.advance(32_000);
  assert.is(transport.sent.length, 1);
  assert.equal(delegate.events, ["terminated@32000", "timeout@32000"]);
  assert.is(layer.size, 0);
});

invite("transport failure: TU told, transaction gone", () => {
  const { clock, transport, layer, delegate } = setup();
  const tx = layer.sendRequest(request(), UDP, delegate);
  transport.fail = true;
  clock.advance(500);
  assert.is(tx.state, "Terminated");
  assert.equal(delegate.events, ["terminated@500", "transport-error@500"]);
  assert.is(layer.size, 0);
  clock.advance(60_000);
  assert.equal(delegate.events.length, 2);
});

invite("CANCEL waits for a provisional (§9.1), has its own transaction, then 487 is ACKed", () => {
  const { clock, transport, layer, delegate } = setup();
  const req = request({ cseq: 7, routes: ["<sip:127.0.0.1:5090;lr>"] });
  const tx = layer.sendRequest(req, UDP, delegate);
  const cancelDelegate = setup().delegate;
  assert.ok(layer.cancel(tx, cancelDelegate));
  assert.is(transport.requests("CANCEL").length, 0); // still Calling: nothing received yet
  clock.advance(100);
  layer.receiveResponse(responseTo(req, 100));
  const [cancel] = transport.requests("CANCEL");
  assert.ok(cancel);
  assert.is(cancel.via[0]?.branch, "z9hG4bKtest1");
  assert.is(cancel.cseq.seq, 7);
  assert.is(cancel.cseq.method, "CANCEL");
  assert.is(cancel.uri.raw, req.uri.raw);
  assert.is(cancel.to.params.get("tag"), undefined);
  assert.is(cancel.route.length, 1);
  assert.is(layer.clientCount, 2);

  // 200 for the CANCEL matches the CANCEL transaction (CSeq method), not the INVITE.
  layer.receiveResponse(responseTo(cancel, 200, "b7"));
  assert.equal(cancelDelegate.responses, [200]);
  assert.equal(delegate.responses, [100]);
  layer.receiveResponse(responseTo(req, 487, "b7"));
  assert.equal(delegate.responses, [100, 487]);
  assert.is(transport.requests("ACK").length, 1);
  assert.not.ok(layer.cancel(tx, cancelDelegate)); // too late
  clock.advance(40_000);
  assert.is(layer.size, 0);
});

invite("a final response before the provisional drops the pending CANCEL", () => {
  const { clock, transport, layer, delegate } = setup();
  const req = request();
  const tx = layer.sendRequest(req, UDP, delegate);
  assert.ok(layer.cancel(tx, delegate));
  layer.receiveResponse(responseTo(req, 404, "n"));
  layer.receiveResponse(responseTo(req, 180, "n")); // late, out of order: ignored
  assert.is(transport.requests("CANCEL").length, 0);
  assert.equal(delegate.responses, [404]);
  clock.advance(32_000);
  assert.is(layer.size, 0);
});

invite.run();

const nonInvite = suite("non-INVITE client transaction");

nonInvite("UDP: timer E doubles up to T2, timer F times out at 64*T1", () => {
  const { clock, transport, layer, delegate } = setup();
  layer.sendRequest(request({ method: "OPTIONS" }), UDP, delegate);
  clock.advance(32_000);
  assert.equal(
    transport.times(isReq("OPTIONS")),
    [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
  );
  assert.equal(delegate.events, ["terminated@32000", "timeout@32000"]);
  assert.is(layer.size, 0);
});

nonInvite("Proceeding retransmits every T2; final -> Completed absorbs repeats; K = T4", () => {
  const { clock, transport, layer, delegate, user } = setup({ t1: 100, t2: 1000, t4: 2000 });
  const req = request({ method: "REGISTER", cseq: 3 });
  const tx = layer.sendRequest(req, UDP, delegate);
  clock.advance(50);
  layer.receiveResponse(responseTo(req, 100));
  assert.is(tx.state, "Proceeding");
  clock.advance(3000); // E was pending at 100: then every T2
  assert.equal(transport.times(isReq("REGISTER")), [0, 100, 1100, 2100]);
  const ok = responseTo(req, 200, "r");
  layer.receiveResponse(ok);
  assert.is(tx.state, "Completed");
  layer.receiveResponse(ok);
  layer.receiveResponse(responseTo(req, 180, "r"));
  assert.equal(delegate.responses, [100, 200]);
  assert.is(user.strays.length, 0);
  clock.advance(10_000);
  assert.equal(transport.times(isReq("REGISTER")).length, 4); // nothing after the final
  assert.equal(delegate.events.at(-1), "terminated@5050"); // 3050 + T4
  assert.is(layer.size, 0);
});

nonInvite("reliable transport: one send, terminated on the final response", () => {
  const { clock, transport, layer, delegate } = setup();
  const req = request({ method: "BYE", transport: "TCP", toTag: "b1" });
  const tx = layer.sendRequest(req, TCP, delegate);
  clock.advance(10_000);
  assert.is(transport.sent.length, 1);
  layer.receiveResponse(responseTo(req, 200));
  assert.is(tx.state, "Terminated");
  assert.is(layer.size, 0);
});

nonInvite("sendRequest refuses ACK, a missing branch and a duplicate branch", () => {
  const { layer, delegate } = setup();
  assert.throws(() => layer.sendRequest(request({ method: "ACK" }), UDP, delegate), isTxError);
  assert.throws(() => layer.sendRequest(request({ branch: undefined }), UDP, delegate), isTxError);
  layer.sendRequest(request({ method: "OPTIONS" }), UDP, delegate);
  assert.throws(() => layer.sendRequest(request({ method: "OPTIONS" }), UDP, delegate), /already/);
  layer.close();
  assert.is(layer.size, 0);
});

nonInvite.run();
