// RFC 3261 §8.2.7: a final non-2xx response sent without keeping a server transaction (the
// registrar's 401 and the proxy's 407), and the ACK of such a response absorbed by its To tag.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createResponse, isAckOfLocalResponse } from "../src/message/index.js";
import { TransactionError } from "../src/transaction/index.js";
import { request, setup, UDP } from "./transaction-helpers.js";

const stateless = suite("stateless responses");

stateless(
  "a stateless 401 to REGISTER keeps no transaction: the retransmission is a new request, answered again",
  () => {
    const { layer, user, transport, clock } = setup();
    user.onNew = (req, tx) => tx?.respondStateless(createResponse(req, 401));
    const reg = { method: "REGISTER", uri: "sip:127.0.0.1", branch: "z9hG4bKreg1" };
    layer.receiveRequest(request(reg), UDP);
    assert.is(transport.responses(401).length, 1);
    assert.is(layer.size, 0); // nothing kept, not even for Timer J
    assert.is(user.requests[0]?.tx?.state, "Terminated");
    clock.advance(600);
    layer.receiveRequest(request(reg), UDP); // the phone retransmits before the 401 reached it
    assert.is(user.requests.length, 2); // the TU sees it again (a stateful tx would have absorbed it)
    const sent = transport.responses(401);
    assert.is(sent.length, 2);
    // Same request, same To tag: the phone sees one answer twice.
    assert.is(sent[0]?.to.params.get("tag"), sent[1]?.to.params.get("tag"));
    assert.is(layer.size, 0);
    layer.close();
  },
);

stateless("a stateless 407 to INVITE: no timers G/H, its ACK is absorbed, never passed to the TU", () => {
  const { layer, user, transport, clock } = setup();
  user.onNew = (req, tx) => {
    if (req.method === "INVITE") tx?.respondStateless(createResponse(req, 407));
  };
  layer.receiveRequest(request({ branch: "z9hG4bKinv1" }), UDP);
  assert.is(layer.size, 0);
  const challenge = transport.responses(407)[0];
  assert.ok(challenge);
  const toTag = challenge.to.params.get("tag") ?? "";
  assert.is(toTag.length, 12);
  clock.advance(10_000); // a stateful 407 would be retransmitted by Timer G here
  assert.is(transport.responses(407).length, 1);
  const ack = request({ method: "ACK", branch: "z9hG4bKinv1", toTag });
  assert.ok(isAckOfLocalResponse(ack));
  layer.receiveRequest(ack, UDP);
  assert.is(user.requests.length, 1); // the ACK went nowhere
  layer.close();
});

stateless(
  "an ACK that is not for our stateless response still reaches the TU (2xx ACK, other tag, other branch)",
  () => {
    const { layer, user, transport } = setup();
    user.onNew = (req, tx) => {
      if (req.method === "INVITE") tx?.respondStateless(createResponse(req, 407));
    };
    layer.receiveRequest(request({ branch: "z9hG4bKinv2" }), UDP);
    const toTag = transport.responses(407)[0]?.to.params.get("tag") ?? "";
    // The ACK of a 2xx has a branch of its own; a callee's tag is not ours; another CSeq is another INVITE.
    for (const ack of [
      request({ method: "ACK", branch: "z9hG4bKack2xx", toTag }),
      request({ method: "ACK", branch: "z9hG4bKinv2", toTag: "callee-tag" }),
      request({ method: "ACK", branch: "z9hG4bKinv2", toTag, cseq: 2 }),
    ]) {
      assert.not.ok(isAckOfLocalResponse(ack));
      layer.receiveRequest(ack, UDP);
    }
    assert.is(user.requests.length, 4);
    layer.close();
  },
);

stateless("only a final non-2xx may go statelessly, and only before the transaction answered", () => {
  const { layer, user, transport } = setup();
  layer.receiveRequest(request({ method: "OPTIONS", branch: "z9hG4bKopt" }), UDP);
  const tx = user.requests[0]?.tx;
  const req = user.requests[0]?.req;
  assert.ok(tx && req);
  assert.throws(
    () => tx.respondStateless(createResponse(req, 200)),
    (e: unknown) => e instanceof TransactionError,
  );
  assert.throws(
    () => tx.respondStateless(createResponse(req, 180)),
    (e: unknown) => e instanceof TransactionError,
  );
  tx.respond(createResponse(req, 403));
  tx.respondStateless(createResponse(req, 401)); // already answered: ignored
  assert.is(transport.responses(401).length, 0);
  assert.is(tx.state, "Completed");
  layer.close();
});

stateless.run();
