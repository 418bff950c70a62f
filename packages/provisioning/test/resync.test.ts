import { createSocket, type Socket } from "node:dgram";
import { createResponse, type SipRequest, SipStack, type TransactionUser } from "@centrex/sip";
import { openSqliteStore, type Store } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PhoneCatalog, PhoneResync } from "../src/index.js";

// check-sync NOTIFY through a real SIP stack to UDP sockets standing in for phones: which of
// an extension's registrations get it, the family's Event variant, and what comes back.

interface FakePhone {
  socket: Socket;
  port: number;
  received: string[];
}

/** A UDP endpoint that answers every request with `status` (or stays silent when null). */
async function fakePhone(status: number | null): Promise<FakePhone> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const phone: FakePhone = { socket, port: socket.address().port, received: [] };
  socket.on("message", (msg, from) => {
    const text = msg.toString();
    phone.received.push(text);
    if (status === null) return;
    const keep = text.split("\r\n").filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    const res = `SIP/2.0 ${status} Whatever\r\n${keep.join("\r\n")}\r\nContent-Length: 0\r\n\r\n`;
    socket.send(res, from.port, from.address);
  });
  return phone;
}

const user: TransactionUser = {
  onRequest(req: SipRequest, tx) {
    tx?.respond(createResponse(req, 200, "OK"));
  },
  onStrayResponse() {},
};

let store: Store;
let stack: SipStack;
const phones: FakePhone[] = [];

test.before(async () => {
  store = openSqliteStore(":memory:");
  // T1 50 ms: Timer F (64·T1) ends a silent phone's transaction in 3.2 s.
  stack = new SipStack(user, {
    listen: [{ transport: "UDP", address: "127.0.0.1", port: 0 }],
    timers: { t1: 50 },
  });
  await stack.start();
});

test.after(async () => {
  for (const p of phones) p.socket.close();
  await stack.close(0);
  await store.close();
});

async function bind(extensionId: number, phone: FakePhone, userAgent: string) {
  await store.locations.upsert({
    aor: extensionId,
    contact: `sip:${extensionId}-x@127.0.0.1:${phone.port}`,
    expiresAt: Date.now() + 60_000,
    callId: `reg-${phone.port}`,
    cseq: 1,
    transport: "udp",
    sourceAddress: "127.0.0.1",
    sourcePort: phone.port,
    userAgent,
  });
}

test("the NOTIFY goes to the registration naming the MAC, with the family's event; answers reported", async () => {
  const c = await store.customers.create({ name: "Acme", domain: "pbx.test" });
  const e201 = await store.extensions.create({ customerId: c.id, number: "201" });
  const e202 = await store.extensions.create({ customerId: c.id, number: "202" });
  const hash = "0".repeat(64);
  const yealink = await store.phones.create({
    customerId: c.id,
    mac: "805ec0123456",
    model: "T46S",
    lines: [e201.id],
    credentialHash: hash,
  });
  const poly = await store.phones.create({
    customerId: c.id,
    mac: "0004f2000001",
    model: "VVX450",
    lines: [e202.id],
    credentialHash: hash,
  });
  const desk = await fakePhone(200);
  const softphone = await fakePhone(489);
  const silent = await fakePhone(null);
  phones.push(desk, softphone, silent);
  await bind(e201.id, desk, "Yealink SIP-T46S 66.86.0.15 80:5e:c0:12:34:56");
  await bind(e201.id, softphone, "Zoiper rv2.10");
  const resync = new PhoneResync({ stack, store, catalog: PhoneCatalog.load() });

  const r = await resync.resync(yealink);
  assert.is(r.event, "check-sync;reboot=false");
  assert.equal(
    r.attempts.map((a) => [a.remote, a.outcome]),
    [[`127.0.0.1:${desk.port}`, 200]],
  );
  assert.is(softphone.received.length, 0, "another device on the same extension is left alone");
  const notify = desk.received[0]!;
  assert.match(notify, /^NOTIFY sip:\d+-x@127\.0\.0\.1:\d+ SIP\/2\.0\r\n/);
  assert.match(notify, /\r\nEvent: check-sync;reboot=false\r\n/);
  assert.match(notify, /\r\nTo: <sip:201@pbx\.test>\r\n/);
  assert.match(notify, /\r\nSubscription-State: terminated\r\n/);

  // No registration names the Poly's MAC: every current one of its first line gets it.
  await bind(e202.id, softphone, "Poly VVX 450");
  await bind(e202.id, silent, "Poly VVX 450 (second flow)");
  const p = await resync.resync(poly);
  assert.is(p.event, "check-sync");
  assert.equal(
    p.attempts.map((a) => a.outcome).sort(),
    [489, "timeout"],
    "an answer of any kind proves it arrived; silence is a timeout",
  );
  assert.match(softphone.received[0]!, /\r\nEvent: check-sync\r\n/);

  // Not registered: nothing sent, nothing to wait for.
  await store.locations.removeAll(e201.id);
  assert.equal((await resync.resync(yealink)).attempts, []);
});

test.run();
