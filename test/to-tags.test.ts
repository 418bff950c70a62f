import { randomBytes } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { passwordOf } from "./helpers/passwords.js";
import {
  digestAnswer,
  newRawBranch,
  type RawRequest,
  type RawResponse,
  RawSipClient,
  rawOffer,
  rawRequest,
} from "./helpers/raw-sip.js";
import { startWithTenant, type TenantSwitch } from "./helpers/tenant.js";

// RFC 3261 §8.2.6.2: every response but a 100 carries a To tag, the same one for every response
// to a request. Walks each status the switch produces itself (on its defaults, a customer with
// extensions 201-203 and no carrier), each sent twice as a phone retransmits, and checks both
// answers carry a tag and the same one.
let t: TenantSwitch;
let caller: RawSipClient;
let callee: RawSipClient;
const DOMAIN = "pbx.test";
const seen = new Map<number, string>();

test.before(async () => {
  t = await startWithTenant({ extensions: ["201", "202", "203"] });
  await t.cli("did", "add", DOMAIN, "+33123456780", "--main", "--extension", "203");
  caller = await new RawSipClient({ address: "127.0.0.1", port: t.sw.port }).open();
  callee = await new RawSipClient({ address: "127.0.0.1", port: t.sw.port }).open();
});

test.after(async () => {
  caller?.close();
  callee?.close();
  await t?.sw.stop();
});

function callId(): string {
  return `${randomBytes(6).toString("hex")}@to-tags`;
}

/** Sends `bytes`, then the same bytes again (a retransmission); both answers must carry one tag. */
async function sendTwice(client: RawSipClient, r: RawRequest, expected: number): Promise<RawResponse> {
  const bytes = rawRequest(client, r);
  const cseq = `${r.cseq} ${r.method}`;
  client.send(bytes);
  const first = await client.next(r.callId, cseq);
  assert.is(first.status, expected, `${r.method} ${r.uri}: ${first.text}`);
  assert.ok(first.toTag, `${first.status} without a To tag:\n${first.text}`);
  client.send(bytes);
  const again = await client.next(r.callId, cseq);
  assert.is(again.status, expected);
  assert.is(again.toTag, first.toTag, `${expected}: the retransmission got another tag`);
  if (r.method === "INVITE") {
    // ACK the final answer (§17.1.1.3: same branch, the response's To) so it stops retransmitting.
    const branch = bytes.match(/branch=([^;\r]+)/)?.[1];
    client.send(
      rawRequest(client, {
        ...r,
        method: "ACK",
        to: first.header("to") ?? r.to,
        body: "",
        ...(branch !== undefined && { branch }),
        headers: (r.headers ?? []).filter((h) => !/^content-type/i.test(h)),
      }),
    );
  }
  seen.set(expected, first.toTag ?? "");
  return first;
}

/** The request as a phone sends it after a challenge: fresh branch, CSeq + 1, the digest answer. */
async function authenticated(
  client: RawSipClient,
  r: RawRequest,
  user: string,
  password: string,
): Promise<RawRequest> {
  client.send(rawRequest(client, r));
  const challenge = await client.next(r.callId, `${r.cseq} ${r.method}`);
  const header = challenge.status === 401 ? "www-authenticate" : "proxy-authenticate";
  const value = challenge.header(header);
  assert.ok(value, `expected a challenge, got ${challenge.text}`);
  const auth = digestAnswer(value, { method: r.method, uri: r.uri, username: user, password });
  return {
    ...r,
    cseq: r.cseq + 1,
    branch: newRawBranch(),
    headers: [
      ...(r.headers ?? []),
      `${challenge.status === 401 ? "Authorization" : "Proxy-Authorization"}: ${auth}`,
    ],
  };
}

function register(client: RawSipClient, ext: string, headers: string[] = []): RawRequest {
  return {
    method: "REGISTER",
    uri: `sip:${DOMAIN}`,
    from: `<sip:${ext}@${DOMAIN}>;tag=${randomBytes(4).toString("hex")}`,
    to: `<sip:${ext}@${DOMAIN}>`,
    callId: callId(),
    cseq: 1,
    headers: [`Contact: <sip:${ext}@${client.address}:${client.port}>`, ...headers],
  };
}

function invite(dialled: string, extra: Partial<RawRequest> = {}): RawRequest {
  return {
    method: "INVITE",
    uri: `sip:${dialled}@${DOMAIN}`,
    from: `<sip:202@${DOMAIN}>;tag=${randomBytes(4).toString("hex")}`,
    to: `<sip:${dialled}@${DOMAIN}>`,
    callId: callId(),
    cseq: 1,
    headers: [`Contact: <sip:202@${caller.address}:${caller.port}>`],
    body: rawOffer(caller.address, 40000),
    ...extra,
  };
}

test("every status the switch generates carries a To tag, the same on retransmissions", async () => {
  const options = {
    method: "OPTIONS",
    uri: `sip:127.0.0.1:${t.sw.port}`,
    from: `<sip:probe@${DOMAIN}>;tag=p1`,
    to: `<sip:127.0.0.1:${t.sw.port}>`,
    callId: callId(),
    cseq: 1,
  };
  await sendTwice(caller, options, 200);
  // No Event header: the notifier refuses it 489 (RFC 6665 §8.2.2), with a To tag like any other.
  await sendTwice(caller, { ...options, method: "SUBSCRIBE", callId: callId() }, 489);

  // Registrar: challenge, wrong password, too short, accepted.
  await sendTwice(callee, register(callee, "201"), 401);
  await sendTwice(callee, await authenticated(callee, register(callee, "201"), "201", "wrong"), 403);
  await sendTwice(
    callee,
    await authenticated(callee, register(callee, "201", ["Expires: 5"]), "201", passwordOf("201")),
    423,
  );
  const ok = await sendTwice(
    callee,
    await authenticated(callee, register(callee, "201", ["Expires: 600"]), "201", passwordOf("201")),
    200,
  );
  assert.match(ok.header("contact") ?? "", /expires=/);

  // Proxy: challenge, loop, unknown, unregistered, refused by policy, no carrier.
  await sendTwice(caller, invite("201"), 407);
  await sendTwice(caller, invite("201", { maxForwards: 0 }), 483);
  await sendTwice(caller, await authenticated(caller, invite("299"), "202", passwordOf("202")), 404);
  await sendTwice(caller, await authenticated(caller, invite("203"), "202", passwordOf("202")), 480);
  await sendTwice(caller, await authenticated(caller, invite("17"), "202", passwordOf("202")), 403);
  await sendTwice(caller, await authenticated(caller, invite("0612345678"), "202", passwordOf("202")), 503);

  // CANCEL of nothing; then a call to 201 (the callee socket never answers) cancelled: 200 + 487.
  await sendTwice(caller, { ...invite("201"), method: "CANCEL", body: "" }, 481);
  const ring = await authenticated(caller, invite("201"), "202", passwordOf("202"));
  const ringBytes = rawRequest(caller, ring);
  caller.send(ringBytes);
  await caller.next(ring.callId, `${ring.cseq} INVITE`, 100);
  const deadline = Date.now() + 5000;
  while (!callee.requests.some((r) => r.startsWith("INVITE ")) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const branch = ringBytes.match(/branch=([^;\r]+)/)?.[1] ?? "";
  await sendTwice(caller, { ...ring, method: "CANCEL", branch, body: "", headers: [] }, 200);
  const terminated = await caller.next(ring.callId, `${ring.cseq} INVITE`);
  assert.is(terminated.status, 487, terminated.text);
  assert.ok(terminated.toTag, `487 without a To tag:\n${terminated.text}`);
  caller.send(ringBytes);
  const again = await caller.next(ring.callId, `${ring.cseq} INVITE`);
  assert.is(again.status, 487);
  assert.is(again.toTag, terminated.toTag);

  // A malformed request, answered statelessly: 400 with a tag, the same for the same bytes.
  const bad = rawRequest(caller, { ...options, callId: callId() }).replace(
    "CSeq: 1 OPTIONS",
    "CSeq: 99999999999 OPTIONS",
  );
  caller.send(bad);
  caller.send(bad);
  const tags: (string | undefined)[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await caller.next(bad.match(/Call-ID: (\S+)/)?.[1] ?? "", "99999999999 OPTIONS");
    assert.is(r.status, 400);
    tags.push(r.toTag);
  }
  assert.ok(tags[0]);
  assert.is(tags[1], tags[0]);

  // Different requests get different tags.
  assert.is(new Set(seen.values()).size, seen.size, `tags repeat across requests: ${[...seen]}`);
});

test.run();
