// The 407 to a phone's initial INVITE without credentials, answered before any transaction exists
// (RFC 3261 §8.2.7): the switch's core asks the proxy, which gives the response its stateful path
// gives (same To tag, nonce, headers) whenever that can be decided from memory, and nothing
// otherwise. The real transaction layer, core, proxy, digest authenticator and nonce service; the
// stack is a stand-in giving the packet's source (what `SipStack.sourceOf` gives).
import { SipProxy } from "@centrex/proxy";
import { DigestAuthenticator, type Registrar } from "@centrex/registrar";
import {
  FakeClock,
  NonceService,
  parseMessage,
  type SendTarget,
  type ServerTransactionLike,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type SipStack,
  TransactionLayer,
  type TransactionTransport,
} from "@centrex/sip";
import { pino } from "pino";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SwitchCore } from "../src/switch/core.js";
import { failoverGate } from "../src/switch/failover/gate.js";

const PHONE = "127.0.0.2";
const CARRIER = "127.0.0.9";
const TARGET: SendTarget = { transport: "UDP", address: PHONE, port: 5062 };

interface InviteOptions {
  readonly headers?: readonly string[];
  readonly to?: string;
  readonly from?: string;
  readonly source?: string;
  readonly maxForwards?: number;
}

function inviteText(o: InviteOptions = {}): Buffer {
  return Buffer.from(
    [
      "INVITE sip:202@pbx.test SIP/2.0",
      "Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK-ch-1;rport",
      `From: ${o.from ?? "<sip:201@pbx.test>;tag=caller-1"}`,
      `To: ${o.to ?? "<sip:202@pbx.test>"}`,
      "Call-ID: challenge-1@test",
      "CSeq: 7 INVITE",
      "Contact: <sip:201@127.0.0.2:5062>",
      `Max-Forwards: ${o.maxForwards ?? 70}`,
      `X-Source: ${o.source ?? PHONE}`,
      ...(o.headers ?? []),
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n"),
  );
}

const parse = (bytes: Buffer) => parseMessage(bytes) as SipRequest;

function world(authenticateCalls = true) {
  const clock = new FakeClock(1_700_000_000_000);
  const nonces = new NonceService(Buffer.alloc(32, 7), { ttlSeconds: 300, clock: () => clock.now() });
  const storeReads: string[] = [];
  const authenticator = new DigestAuthenticator({
    extensions: {
      findCredentials: async (realm: string, user: string) => {
        storeReads.push(`${user}@${realm}`);
        return undefined;
      },
    },
    nonces,
  });
  // What the proxy reads of the stack: our addresses (own Routes and Vias), a packet's source.
  const stack = {
    addresses: () => [{ transport: "UDP", address: "127.0.0.1", port: 5060 }],
    sourceOf: (req: SipRequest) => ({
      transport: "UDP",
      remoteAddress: req.get("x-source") ?? PHONE,
      remotePort: 5062,
      localAddress: "127.0.0.1",
      localPort: 5060,
    }),
  } as unknown as SipStack;
  const proxy = new SipProxy({
    stack,
    store: {} as never,
    authenticator,
    trunk: { isCarrierSource: (address: string) => address === CARRIER } as never,
    authenticateCalls,
  });
  const passedOn: string[] = [];
  const handler = {
    onRequest: (req: SipRequest, tx: ServerTransactionLike | undefined, source: SendTarget) => {
      passedOn.push(req.method);
      if (req.method !== "ACK") proxy.onRequest(req, tx, source);
    },
    onStrayResponse: () => undefined,
    answerStatelessly: (req: SipRequest) => proxy.answerStatelessly(req),
  };
  const core = new SwitchCore({
    registrar: {} as Registrar,
    logger: pino({ level: "silent" }),
    stack,
    proxy: handler,
  });
  const sent: Buffer[] = [];
  const transport: TransactionTransport = {
    send: (msg: SipMessage) => void sent.push(msg.toBuffer()),
    isReliable: () => false,
  };
  const layer = new TransactionLayer(transport, core, { clock });
  return { proxy, core, layer, sent, passedOn, storeReads, clock };
}

/** What the proxy's stateful path sends: the INVITE handed over with a server transaction. */
async function statefully(
  proxy: SipProxy,
  bytes: Buffer,
): Promise<{ stateless?: Buffer; kept?: SipResponse }> {
  const out: { stateless?: Buffer; kept?: SipResponse } = {};
  const tx = {
    kind: "server",
    state: "Proceeding",
    respondStateless: (res: SipResponse) => {
      out.stateless = res.toBuffer();
      return true;
    },
    respond: (res: SipResponse) => {
      out.kept = res;
      return true;
    },
  } as unknown as ServerTransactionLike;
  const req = parse(bytes);
  proxy.onRequest(req, tx, TARGET);
  await new Promise((r) => setImmediate(r));
  return out;
}

test("a phone's INVITE without credentials: 407 with no transaction kept, the retransmission the same bytes, the ACK absorbed", () => {
  const w = world();
  w.layer.receiveRequest(parse(inviteText()), TARGET);
  assert.is(w.sent.length, 1);
  const first = parse(w.sent[0] as Buffer) as unknown as SipResponse;
  assert.is(first.status, 407);
  assert.ok(first.get("proxy-authenticate")?.includes('realm="pbx.test"'));
  assert.is(w.layer.serverCount, 0, "a server transaction was kept for the challenged INVITE");
  assert.equal(w.passedOn, [], "the INVITE went on to the proxy's stateful path");
  // Retransmitted 300 ms later (Timer A): answered again, byte for byte.
  w.clock.advance(300);
  w.layer.receiveRequest(parse(inviteText()), TARGET);
  assert.is(w.sent.length, 2);
  assert.ok(w.sent[1]?.equals(w.sent[0] as Buffer), "the retransmission got another 407");
  assert.is(w.layer.serverCount, 0);
  // The phone's ACK (RFC 3261 §17.1.1.3: the INVITE's Via, From, Call-ID, CSeq number; the 407's To).
  const ack = Buffer.from(
    [
      "ACK sip:202@pbx.test SIP/2.0",
      "Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK-ch-1;rport",
      "From: <sip:201@pbx.test>;tag=caller-1",
      `To: ${first.get("to")}`,
      "Call-ID: challenge-1@test",
      "CSeq: 7 ACK",
      "Max-Forwards: 70",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n"),
  );
  w.layer.receiveRequest(parse(ack), TARGET);
  assert.equal(w.passedOn, [], "the ACK of the 407 reached the proxy (it would be forwarded)");
  assert.is(w.sent.length, 2);
  assert.equal(w.storeReads, [], "the challenge read the store");
});

test("the stateless 407 is the stateful path's, byte for byte (To tag, nonce, headers)", async () => {
  const forms: InviteOptions[] = [
    {},
    // Credentials for another realm only: still challenged, both ways.
    {
      headers: [
        'Proxy-Authorization: Digest username="201", realm="other.test", nonce="x", uri="sip:202@pbx.test", response="00"',
      ],
    },
    // Our own Route (a phone with an outbound proxy): popped statefully, no bar here.
    { headers: ["Route: <sip:127.0.0.1:5060;lr>"] },
    { from: "<sip:201@PBX.test>;tag=caller-1" },
    { headers: ["Session-Expires: 1800", "Supported: timer"] },
  ];
  for (const form of forms) {
    const w = world();
    const bytes = inviteText(form);
    const stateless = w.proxy.answerStatelessly(parse(bytes));
    assert.ok(stateless !== undefined, `not answered statelessly: ${JSON.stringify(form)}`);
    const before = await statefully(w.proxy, bytes);
    assert.is(before.kept, undefined);
    assert.ok(
      before.stateless?.equals(stateless.toBuffer()),
      `differs from the stateful 407: ${JSON.stringify(form)}`,
    );
    // Through the core too (what the transaction layer asks).
    assert.ok(w.core.answerStatelessly(parse(bytes))?.toBuffer().equals(stateless.toBuffer()));
  }
});

test("the stateful way still: a carrier's INVITE, credentials, and whatever the proxy answers otherwise or first", async () => {
  const stateful: [string, InviteOptions][] = [
    ["a carrier's INVITE (a DID call)", { source: CARRIER }],
    [
      "credentials for the realm (their check reads the store)",
      {
        headers: [
          'Proxy-Authorization: Digest username="201", realm="pbx.test", nonce="x", uri="sip:202@pbx.test", response="00"',
        ],
      },
    ],
    ["in a dialog (To tag)", { to: "<sip:202@pbx.test>;tag=callee" }],
    ["Max-Forwards spent (483)", { maxForwards: 0 }],
    ["a Route that is not ours (403)", { headers: ["Route: <sip:192.0.2.1;lr>"] }],
    [
      "too small a session interval, timer supported (422)",
      { headers: ["Session-Expires: 30", "Supported: timer"] },
    ],
    ["a malformed Session-Expires (400)", { headers: ["Session-Expires: soon"] }],
    ["a From that is not a SIP URI (403)", { from: "<tel:+33123456789>;tag=caller-1" }],
  ];
  for (const [what, form] of stateful) {
    const w = world();
    assert.is(w.proxy.answerStatelessly(parse(inviteText(form))), undefined, what);
    assert.is(w.core.answerStatelessly(parse(inviteText(form))), undefined, what);
  }
  // The credentials go on to be checked: the transaction layer keeps the INVITE's transaction.
  const w = world();
  const withCredentials = stateful[1]?.[1] as InviteOptions;
  w.layer.receiveRequest(parse(inviteText(withCredentials)), TARGET);
  assert.equal(w.passedOn, ["INVITE"]);
  assert.is(w.layer.serverCount, 1);
  w.layer.close();
  // Calls not authenticated (a bench's setting): never a challenge.
  assert.is(world(false).proxy.answerStatelessly(parse(inviteText())), undefined);
});

test("a standby answers the INVITE as before: the gate asks the core only while serving", () => {
  const w = world();
  let serving = false;
  const gate = failoverGate(w.core, () => serving);
  assert.is(gate.answerStatelessly?.(parse(inviteText()), TARGET), undefined);
  serving = true;
  assert.is(gate.answerStatelessly?.(parse(inviteText()), TARGET)?.status, 407);
});

test("before the proxy is wired (start-up), nothing is answered statelessly: the core's 503 stands", () => {
  const core = new SwitchCore({ registrar: {} as Registrar, logger: pino({ level: "silent" }) });
  assert.is(core.answerStatelessly(parse(inviteText())), undefined);
});

test.run();
