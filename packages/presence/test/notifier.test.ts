import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import type { DigestAuthenticator } from "@centrex/registrar";
import { type ServerTransactionLike, type SipRequest, SipStack } from "@centrex/sip";
import type { ExtensionCredentials, Store } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LineStates, Notifier } from "../src/index.js";

// The notifier on a real SIP stack over loopback UDP, a raw socket as the subscribing phone.
// Digest itself is the registrar's and is exercised end to end (test/busy-lamps.test.ts);
// here every request is taken as extension 203 of customer 1, to reach the subscription
// lifecycle quickly: expiry, refresh, a NOTIFY refused with 481.
const accept: Pick<DigestAuthenticator, "authenticate"> = {
  authenticate: async () => ({
    ok: true,
    username: "203",
    credentials: { customerId: 1, extensionId: 3, number: "203" } as unknown as ExtensionCredentials,
  }),
};
const store = {
  extensions: { find: async (_c: number, n: string) => (n === "202" ? { id: 2 } : undefined) },
} as unknown as Pick<Store, "extensions">;

async function setup() {
  const lines = new LineStates();
  let notifier: Notifier | undefined;
  const stack = new SipStack(
    {
      onRequest(req: SipRequest, tx: ServerTransactionLike | undefined) {
        if (req.method === "SUBSCRIBE" && tx !== undefined) notifier?.onSubscribe(req, tx);
      },
      onStrayResponse() {},
    },
    { listen: [{ transport: "UDP", address: "127.0.0.1", port: 0 }] },
  );
  const [bound] = await stack.start();
  notifier = new Notifier({ stack, store, authenticator: accept, lines, minExpires: 1 });
  const phone = createSocket("udp4");
  await new Promise<void>((r) => phone.bind(0, "127.0.0.1", () => r()));
  const inbox: string[] = [];
  const waiters: Array<() => void> = [];
  // The phone answers each NOTIFY with `notifyStatus`.
  let notifyStatus = 200;
  phone.on("message", (m) => {
    const text = m.toString();
    inbox.push(text);
    if (text.startsWith("NOTIFY ")) {
      const h = (n: string) => text.match(new RegExp(`^${n}: (.*)$`, "mi"))?.[1] ?? "";
      const res = `SIP/2.0 ${notifyStatus} X\r\nVia: ${h("Via")}\r\nFrom: ${h("From")}\r\nTo: ${h("To")}\r\nCall-ID: ${h("Call-ID")}\r\nCSeq: ${h("CSeq")}\r\nContent-Length: 0\r\n\r\n`;
      phone.send(res, bound?.port ?? 0, "127.0.0.1");
    }
    for (const w of waiters.splice(0)) w();
  });
  const port = () => phone.address().port;
  const callId = `${randomBytes(4).toString("hex")}@notifier-test`;
  let cseq = 0;
  const send = (expires: number, toTag?: string) => {
    const text =
      "SUBSCRIBE sip:202@pbx.test SIP/2.0\r\n" +
      `Via: SIP/2.0/UDP 127.0.0.1:${port()};branch=z9hG4bK${randomBytes(4).toString("hex")};rport\r\n` +
      "From: <sip:203@pbx.test>;tag=sub1\r\n" +
      `To: <sip:202@pbx.test>${toTag === undefined ? "" : `;tag=${toTag}`}\r\n` +
      `Call-ID: ${callId}\r\nCSeq: ${++cseq} SUBSCRIBE\r\nMax-Forwards: 70\r\n` +
      `Contact: <sip:203@127.0.0.1:${port()}>\r\nEvent: dialog\r\nExpires: ${expires}\r\nContent-Length: 0\r\n\r\n`;
    phone.send(text, bound?.port ?? 0, "127.0.0.1");
  };
  /** The next message received matching `pattern` (searching what already arrived first). */
  const next = async (pattern: RegExp, ms = 3000): Promise<string> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = inbox.findIndex((t) => pattern.test(t));
      if (i >= 0) return inbox.splice(i, 1)[0] as string;
      if (Date.now() > deadline)
        throw new Error(`nothing matching ${pattern} in ${ms} ms; got:\n${inbox.join("\n")}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  return {
    notifier: notifier as Notifier,
    lines,
    send,
    next,
    setNotifyStatus: (s: number) => {
      notifyStatus = s;
    },
    async close() {
      notifier?.close();
      phone.close();
      await stack.close(0);
    },
  };
}

test("a subscription not refreshed ends at its expiry with a terminated NOTIFY", async () => {
  const t = await setup();
  try {
    t.send(1);
    const ok = await t.next(/^SIP\/2.0 200/);
    assert.match(ok, /Expires: 1\r\n/);
    assert.match(await t.next(/^NOTIFY[\s\S]*Subscription-State: active;expires=1/), /version="0"/);
    assert.is(t.notifier.size, 1);
    const last = await t.next(/^NOTIFY[\s\S]*Subscription-State: terminated;reason=timeout/, 3000);
    assert.match(last, /version="1"/);
    assert.is(t.notifier.size, 0);
  } finally {
    await t.close();
  }
});

test("a refresh in the dialog extends it and brings the state again; calls notify", async () => {
  const t = await setup();
  try {
    t.send(1);
    const ok = await t.next(/^SIP\/2.0 200/);
    const tag = ok.match(/^To: .*;tag=([^;\r\n]+)/m)?.[1];
    assert.ok(tag);
    await t.next(/^NOTIFY/);
    t.send(600, tag);
    assert.match(await t.next(/^SIP\/2.0 200/), /Expires: 600\r\n/);
    await t.next(/^NOTIFY[\s\S]*active;expires=(600|599)/);
    await new Promise((r) => setTimeout(r, 1500)); // past the first expiry: still alive
    assert.is(t.notifier.size, 1);
    t.lines.onCallStarted({
      callId: "c1",
      fromTag: "f1",
      dialled: "202",
      caller: { customerId: 1, extension: "201", uri: "sip:201@pbx.test" },
      callee: { customerId: 1, extension: "202", uri: "sip:202@pbx.test" },
    });
    assert.match(await t.next(/^NOTIFY/), /<state>early<\/state>/);
  } finally {
    await t.close();
  }
});

test("a NOTIFY answered 481 ends the subscription (the phone forgot it)", async () => {
  const t = await setup();
  try {
    t.setNotifyStatus(481);
    t.send(600);
    await t.next(/^SIP\/2.0 200/);
    await t.next(/^NOTIFY/);
    const deadline = Date.now() + 2000;
    while (t.notifier.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.is(t.notifier.size, 0);
  } finally {
    await t.close();
  }
});

test("a refresh of a subscription that does not exist is 481", async () => {
  const t = await setup();
  try {
    t.send(600, "nosuchtag");
    assert.match(await t.next(/^SIP\/2.0 481/), /Subscription Does Not Exist/);
    assert.is(t.notifier.size, 0);
  } finally {
    await t.close();
  }
});

test.run();
