import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createResponse, parseMessage } from "../src/message/index.js";
import type { SipMessage, SipRequest } from "../src/message/types.js";
import { FakeClock } from "../src/timer/index.js";
import {
  hasMagicCookie,
  InviteServerTransaction,
  MAGIC_COOKIE,
  NonInviteServerTransaction,
  newBranch,
  type SendTarget,
  type ServerTransactionLike,
  TransactionLayer,
  type TransactionTransport,
  type TransactionUser,
} from "../src/transaction/index.js";
import {
  RecordingDelegate,
  RecordingTransport,
  RecordingUser,
  request,
  requestText,
  responseTo,
  setup,
  UDP,
} from "./transaction-helpers.js";

const fixture = (name: string) => readFileSync(new URL(`fixtures/rfc4475/${name}`, import.meta.url));

const matching = suite("transaction matching");

matching(
  "per-source limit: a transaction that ends gives its place back, once; other sources unaffected",
  () => {
    const clock = new FakeClock();
    const transport = new RecordingTransport(clock);
    const user = new RecordingUser();
    const layer = new TransactionLayer(transport, user, { clock, maxServerTransactionsPerSource: 1 });
    const other: SendTarget = { ...UDP, address: "127.0.0.9" };
    const options = (branch: string | undefined, callId: string) =>
      request({ method: "OPTIONS", branch, callId, cseqMethod: "OPTIONS" });
    layer.receiveRequest(options("z9hG4bK-pl1", "pl1"), UDP);
    layer.receiveRequest(options("z9hG4bK-pl2", "pl2"), UDP); // over the limit: dropped
    layer.receiveRequest(options("z9hG4bK-pl3", "pl3"), other);
    assert.is(user.requests.length, 2);
    assert.is(layer.sourceLimitDrops, 1);
    const first = user.requests[0];
    first?.tx?.respond(createResponse(first.req, 200, undefined, { toTag: "x" }));
    layer.receiveRequest(options("z9hG4bK-pl4", "pl4"), UDP); // still lingering (Timer J): no place yet
    assert.is(layer.sourceLimitDrops, 2);
    clock.advance(64 * 500 + 1); // Timer J: the transaction leaves the layer
    layer.receiveRequest(options("z9hG4bK-pl5", "pl5"), UDP);
    assert.is(user.requests.length, 3);
    const fifth = user.requests[2];
    fifth?.tx?.respond(createResponse(fifth.req, 200, undefined, { toTag: "y" }));
    clock.advance(64 * 500 + 1);
    // An RFC 2543 peer's transaction (no magic cookie) is counted and given back the same way.
    layer.receiveRequest(options(undefined, "pl6"), UDP);
    assert.is(user.requests.length, 4);
    layer.receiveRequest(options(undefined, "pl7"), UDP); // the legacy one holds the place
    assert.is(layer.sourceLimitDrops, 3);
    const legacy = user.requests[3];
    legacy?.tx?.respond(createResponse(legacy.req, 200, undefined, { toTag: "z" }));
    clock.advance(64 * 500 + 1);
    layer.receiveRequest(options("z9hG4bK-pl8", "pl8"), UDP);
    layer.receiveRequest(options("z9hG4bK-pl9", "pl9"), UDP); // one place, not two: given back once
    assert.is(user.requests.length, 5);
    assert.is(layer.sourceLimitDrops, 4);
    layer.close();
  },
);

matching("newBranch: magic cookie, unique", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) seen.add(newBranch());
  assert.is(seen.size, 10_000);
  const b = newBranch();
  assert.ok(b.startsWith(MAGIC_COOKIE) && b.length > 20);
  assert.ok(hasMagicCookie(b));
  assert.not.ok(hasMagicCookie("z9hG4bK")); // RFC 4475 badbranch: the cookie alone identifies nothing
  assert.not.ok(hasMagicCookie("1234"));
});

matching("branch + sent-by + method: default port equals explicit 5060, other sent-by is another tx", () => {
  const { layer, user, transport } = setup();
  layer.receiveRequest(request({ method: "OPTIONS", sentBy: "127.0.0.1" }), UDP);
  layer.receiveRequest(request({ method: "OPTIONS", sentBy: "127.0.0.1:5060" }), UDP);
  assert.is(user.requests.length, 1);
  user.requests[0]?.tx?.respond(createResponse(user.requests[0].req, 200, undefined, { toTag: "x" }));
  layer.receiveRequest(request({ method: "OPTIONS", sentBy: "127.0.0.1:5060" }), UDP);
  assert.is(transport.responses(200).length, 2); // retransmission answered
  layer.receiveRequest(request({ method: "OPTIONS", sentBy: "127.0.0.2:5060" }), UDP);
  layer.receiveRequest(request({ method: "INFO", cseqMethod: "INFO", sentBy: "127.0.0.1" }), UDP);
  assert.is(user.requests.length, 3);
  assert.is(layer.serverCount, 3);
  layer.close();
});

matching("CANCEL gets its own transaction and finds the INVITE it cancels", () => {
  const { layer, user } = setup();
  layer.receiveRequest(request(), UDP);
  const inviteTx = user.requests[0]?.tx;
  assert.instance(inviteTx, InviteServerTransaction);
  const cancel = request({ method: "CANCEL" });
  layer.receiveRequest(cancel, UDP);
  const cancelTx = user.requests[1]?.tx;
  assert.instance(cancelTx, NonInviteServerTransaction);
  assert.is.not(cancelTx, inviteTx);
  assert.is(layer.findInviteForCancel(cancel), inviteTx);
  assert.is(layer.findInviteForCancel(request({ method: "CANCEL", branch: "z9hG4bKother" })), undefined);
  assert.is(layer.findInviteForCancel(request({ method: "CANCEL", sentBy: "127.0.0.9:5070" })), undefined);
  // A retransmitted CANCEL goes to the CANCEL transaction, not the TU.
  layer.receiveRequest(request({ method: "CANCEL" }), UDP);
  assert.is(user.requests.length, 2);
  layer.close();
});

matching("responses match on branch + CSeq method; others are strays", () => {
  const { layer, user, delegate } = setup();
  const req = request({ method: "OPTIONS", branch: newBranch() });
  layer.sendRequest(req, UDP, delegate);
  layer.receiveResponse(responseTo(request({ method: "OPTIONS", branch: "z9hG4bKnope" }), 200));
  layer.receiveResponse(responseTo(request({ method: "INFO", branch: req.via[0]?.branch }), 200));
  assert.is(user.strays.length, 2);
  assert.equal(delegate.responses, []);
  layer.receiveResponse(responseTo(req, 200));
  assert.equal(delegate.responses, [200]);
  layer.close();
});

matching("RFC 2543 peer (no branch): retransmission, ACK of our final by To tag, CANCEL", () => {
  const { clock, layer, user, transport } = setup();
  const legacy = { branch: undefined, callId: "legacy@127.0.0.1", cseq: 9 };
  const req = request(legacy);
  layer.receiveRequest(req, UDP);
  const tx = user.requests[0]?.tx as ServerTransactionLike;
  assert.ok(tx);
  tx.respond(createResponse(req, 180, undefined, { toTag: "L1" }));
  layer.receiveRequest(request(legacy), UDP);
  assert.is(transport.responses(180).length, 2); // retransmission answered with the provisional
  assert.is(user.requests.length, 1);
  // Each matched field counts: another CSeq, Call-ID, From tag, Request-URI or Via is a new request.
  for (const other of [
    { cseq: 10 },
    { callId: "other@127.0.0.1" },
    { fromTag: "zz" },
    { uri: "sip:carol@127.0.0.1" },
    { sentBy: "127.0.0.1:5071" },
    { toTag: "L1" },
  ]) {
    layer.receiveRequest(request({ ...legacy, ...other }), UDP);
  }
  assert.is(user.requests.length, 7);
  const cancel = request({ ...legacy, method: "CANCEL" });
  assert.is(layer.findInviteForCancel(cancel), tx);

  tx.respond(createResponse(req, 486, undefined, { toTag: "L1" }));
  // ACK with a To tag that is not ours: not this transaction, so the TU sees it.
  layer.receiveRequest(request({ ...legacy, method: "ACK", toTag: "bogus" }), UDP);
  assert.is(user.requests.length, 8);
  assert.is(tx.state, "Completed");
  layer.receiveRequest(request({ ...legacy, method: "ACK", toTag: "L1" }), UDP);
  assert.is(tx.state, "Confirmed");
  assert.is(user.requests.length, 8);
  clock.advance(5000);
  assert.is(tx.state, "Terminated");
  layer.close();
  assert.is(layer.size, 0);
});

matching("RFC 4475 inv2543.dat and badbranch.dat fall back to RFC 2543 matching", () => {
  const { layer, user, transport } = setup();
  for (const name of ["inv2543.dat", "badbranch.dat"]) {
    const bytes = fixture(name);
    const req = parseMessage(bytes) as SipRequest;
    layer.receiveRequest(req, UDP);
    const tx = user.requests.at(-1)?.tx;
    assert.ok(tx, name);
    tx.respond(createResponse(req, 480, undefined, { toTag: "t" }));
    layer.receiveRequest(parseMessage(bytes) as SipRequest, UDP); // the same datagram again
  }
  assert.is(user.requests.length, 2);
  assert.is(transport.responses(480).length, 4);
  layer.close();
});

matching("no leaks: 2,000 mixed transactions all leave the maps", () => {
  const { clock, layer, user, delegate } = setup();
  user.onNew = (req, tx) => {
    if (!tx) return;
    const status = req.method === "INVITE" ? (req.cseq.seq % 2 === 0 ? 200 : 486) : 200;
    tx.respond(createResponse(req, status, undefined, { toTag: "s" }));
  };
  for (let i = 0; i < 500; i++) {
    layer.receiveRequest(request({ branch: newBranch(), cseq: i, callId: `c${i}@127.0.0.1` }), UDP);
    layer.receiveRequest(request({ method: "OPTIONS", branch: newBranch(), cseq: i }), UDP);
    const out = request({ method: i % 2 ? "INVITE" : "MESSAGE", branch: newBranch(), cseq: i });
    layer.sendRequest(out, UDP, delegate);
    if (i % 3 === 0) layer.receiveResponse(responseTo(out, 404, "u"));
    layer.receiveRequest(request({ branch: undefined, method: "SUBSCRIBE", cseq: i }), UDP);
  }
  assert.is(layer.size, 2000);
  assert.ok(layer.wheel.size > 0);
  clock.advance(64 * 500 + 1);
  assert.is(layer.size, 0);
  assert.is(layer.wheel.size, 0);
});

matching(
  "a TU's stateless answer (RFC 3261 §8.2.7) is sent with no server transaction; a retransmission is asked again",
  () => {
    const { layer, user, transport } = setup();
    const asked: string[] = [];
    (user as TransactionUser).answerStatelessly = (req) => {
      asked.push(req.method);
      return req.method === "REGISTER" ? createResponse(req, 401, undefined, { toTag: "t" }) : undefined;
    };
    const register = () =>
      request({ method: "REGISTER", cseqMethod: "REGISTER", branch: `${MAGIC_COOKIE}-reg-1` });
    layer.receiveRequest(register(), UDP);
    assert.is(transport.responses(401).length, 1);
    assert.is(layer.serverCount, 0, "nothing kept");
    assert.is(user.requests.length, 0, "not passed on");
    layer.receiveRequest(register(), UDP); // the retransmission: answered the same way, statelessly
    assert.is(transport.responses(401).length, 2);
    assert.is(layer.serverCount, 0);
    // Undefined: the request goes on to onRequest with a transaction, as before.
    layer.receiveRequest(request({ method: "OPTIONS" }), UDP);
    assert.is(user.requests.length, 1);
    assert.is(layer.serverCount, 1);
    // Never asked about an ACK.
    layer.receiveRequest(request({ method: "ACK" }), UDP);
    assert.equal(asked, ["REGISTER", "REGISTER", "OPTIONS"]);
    // Only a final non-2xx may go without state.
    (user as TransactionUser).answerStatelessly = (req) =>
      createResponse(req, 200, undefined, { toTag: "t" });
    assert.throws(
      () => layer.receiveRequest(request({ method: "INFO", cseqMethod: "INFO" }), UDP),
      /not a final non-2xx/,
    );
    layer.close();
  },
);

matching(
  "an INVITE answered 407 statelessly: no INVITE server transaction, the retransmission the same bytes, its ACK absorbed",
  () => {
    const { layer, user, transport } = setup();
    // What the switch's core does for a phone's INVITE without credentials (To tag derived).
    (user as TransactionUser).answerStatelessly = (req) =>
      req.method === "INVITE" ? createResponse(req, 407) : undefined;
    const invite = () => request({ method: "INVITE", branch: `${MAGIC_COOKIE}-inv-407`, cseq: 3 });
    layer.receiveRequest(invite(), UDP);
    layer.receiveRequest(invite(), UDP); // Timer A's retransmission
    const [first, second] = transport.responses(407);
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(first.toBuffer().equals(second.toBuffer()), "another 407 for the retransmission");
    assert.is(layer.serverCount, 0, "an INVITE server transaction was kept");
    assert.is(user.requests.length, 0);
    // The ACK (§17.1.1.3: the INVITE's Via branch, From, Call-ID, CSeq number; the 407's To).
    const ack = parseMessage(
      Buffer.from(
        requestText({ method: "ACK", branch: `${MAGIC_COOKIE}-inv-407`, cseq: 3 }).replace(
          /^To: .*$/m,
          `To: ${first.get("to")}`,
        ),
      ),
    ) as SipRequest;
    layer.receiveRequest(ack, UDP);
    assert.is(user.requests.length, 0, "the 407's ACK was passed on (a proxy would forward it)");
    assert.is(transport.sent.length, 2);
    // An ACK with another To tag is not ours: passed on.
    layer.receiveRequest(
      parseMessage(
        Buffer.from(
          requestText({ method: "ACK", branch: `${MAGIC_COOKIE}-inv-407`, cseq: 3 }).replace(
            /^To: .*$/m,
            "To: <sip:bob@example.com>;tag=abcdef123456",
          ),
        ),
      ) as SipRequest,
      UDP,
    );
    assert.is(user.requests.length, 1);
    layer.close();
  },
);

matching.run();

/** Real UDP sockets on loopback, real clock, short T1: a UAC layer against a UAS layer. */
class UdpTransport implements TransactionTransport {
  constructor(readonly socket: Socket) {}
  send(msg: SipMessage, target: SendTarget): void {
    this.socket.send(msg.toBuffer(), target.port, target.address);
  }
  isReliable(): boolean {
    return false;
  }
}

async function bound(): Promise<Socket> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  return s;
}

const wire = suite("over real UDP");

wire("lost INVITEs are retransmitted, the 486 is ACKed and the ACK absorbed", async () => {
  const [a, b] = await Promise.all([bound(), bound()]);
  const portA = a.address().port;
  const portB = b.address().port;
  const timers = { t1: 20, t2: 80, t4: 100, timerD: 100 };
  const seen: string[] = [];
  const uasUser: TransactionUser = {
    onRequest(req, tx) {
      seen.push(req.method);
      if (req.method === "INVITE") tx?.respond(createResponse(req, 486, undefined, { toTag: "uas" }));
    },
    onStrayResponse() {},
  };
  const uas = new TransactionLayer(new UdpTransport(b), uasUser, { timers });
  const uac = new TransactionLayer(new UdpTransport(a), { onRequest() {}, onStrayResponse() {} }, { timers });
  let dropped = 0;
  b.on("message", (data, rinfo) => {
    const msg = parseMessage(data);
    if (msg.kind !== "request") return;
    if (msg.method === "INVITE" && dropped < 2) {
      dropped++; // the network eats the first two
      return;
    }
    uas.receiveRequest(msg, { transport: "UDP", address: rinfo.address, port: rinfo.port });
  });
  a.on("message", (data) => {
    const msg = parseMessage(data);
    if (msg.kind === "response") uac.receiveResponse(msg);
  });
  const branch = newBranch();
  const text = requestText({ branch, sentBy: `127.0.0.1:${portA}`, uri: `sip:bob@127.0.0.1:${portB}` });
  const final = new Promise<number>((resolve) => {
    const d = new RecordingDelegate({ now: () => performance.now() } as never);
    d.onResponse = (res) => {
      if (res.status >= 200) resolve(res.status);
    };
    uac.sendRequest(
      parseMessage(Buffer.from(text)) as SipRequest,
      { transport: "UDP", address: "127.0.0.1", port: portB },
      d,
    );
  });
  assert.is(await final, 486);
  assert.is(dropped, 2);
  // Wait for D / I to run out on both sides (≈100 ms), with margin.
  for (let i = 0; i < 100 && uac.size + uas.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.is(uac.size, 0);
  assert.is(uas.size, 0);
  assert.equal(seen, ["INVITE"]); // the ACK was absorbed by the server transaction
  uac.close();
  uas.close();
  a.close();
  b.close();
});

wire.run();
