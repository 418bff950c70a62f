import { randomBytes } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startSwitchForBaresip } from "./helpers/baresip.js";
import { LazySwitch, Phones, sleep } from "./helpers/baresip-calls.js";
import { passwordOf } from "./helpers/passwords.js";
import {
  digestAnswer,
  type RawRequest,
  type RawResponse,
  RawSipClient,
  rawRequest,
} from "./helpers/raw-sip.js";
import { phoneArgs, runSipp } from "./helpers/sipp.js";

// Busy lamps (RFC 4235 dialog event package) on the embedded defaults: a SIPp phone's lamp key
// watches extension 202 while two baresip phones call each other, and must see the lamp go
// idle → ringing (early) → busy (confirmed) → idle (terminated); then the bad SUBSCRIBEs.
const DOMAIN = "pbx.test";
const phones = new Phones();
const pbx = new LazySwitch(() =>
  startSwitchForBaresip({
    domain: DOMAIN,
    extensions: [
      ["201", passwordOf("201")],
      ["202", passwordOf("202")],
      ["203", passwordOf("203")],
    ],
    // Another customer, whose phones must not see Acme's lamps.
    provision: [
      ["customer", "add", "Other", "--domain", "other.test"],
      ["extension", "add", "other.test", "301", "--password", passwordOf("301")],
    ],
  }),
);

test.after(async () => {
  await phones.stopAll();
  await pbx.stop();
});

test("a lamp key on 202 sees ringing, then busy, then idle, while 201 calls 202", async () => {
  const { sw, proxy } = await pbx.get();
  const a = await phones.registered({ name: "A", tone: 1000, ext: "201", domain: DOMAIN, proxy });
  const b = await phones.registered({
    name: "B",
    tone: 2000,
    ext: "202",
    domain: DOMAIN,
    proxy,
    answermode: "manual",
  });

  const lamp = runSipp({
    scenario: "blf-subscriber.xml",
    server: `${sw.address}:${sw.port}`,
    extraArgs: phoneArgs({ service: "202", user: "203", domain: DOMAIN, vars: { user: "203" } }),
    timeoutMs: 30_000,
  });
  assert.ok(await sw.waitForLog(/"event":"subscribed"/, 10_000), "no subscription in the switch's log");
  await a.dial(`sip:202@${DOMAIN}`);
  await b.waitFor("CALL_INCOMING", 10_000);
  await sleep(500); // the lamp blinks a while
  const accepted = await b.command("accept");
  assert.ok(accepted.ok, accepted.data);
  await Promise.all([a.waitFor("CALL_ESTABLISHED", 10_000), b.waitFor("CALL_ESTABLISHED", 10_000)]);
  await sleep(500);
  await a.hangup();
  await b.waitFor("CALL_CLOSED", 5000);
  const r = await lamp;
  assert.is(r.code, 0, `SIPp lamp scenario failed:\n${r.stdout}\n${r.errors}`);
});

// ---------------------------------------------------------------- bad SUBSCRIBEs, raw bytes

function subscribe(client: RawSipClient, user: string, uri: string, extra: string[] = []): RawRequest {
  return {
    method: "SUBSCRIBE",
    uri,
    from: `<sip:${user}@${uri.split("@")[1]?.startsWith("other") ? "other.test" : DOMAIN}>;tag=${randomBytes(4).toString("hex")}`,
    to: `<${uri}>`,
    callId: `${randomBytes(6).toString("hex")}@busy-lamps`,
    cseq: 1,
    headers: [`Contact: <sip:${user}@${client.address}:${client.port}>`, ...extra],
  };
}

/** Sends the request, answers the 401 with the password, returns the final answer. */
async function withDigest(client: RawSipClient, r: RawRequest, user: string): Promise<RawResponse> {
  client.send(rawRequest(client, r));
  const challenge = await client.next(r.callId, `${r.cseq} ${r.method}`);
  if (challenge.status !== 401) return challenge;
  const auth = digestAnswer(challenge.header("www-authenticate") ?? "", {
    method: r.method,
    uri: r.uri,
    username: user,
    password: passwordOf(user),
  });
  const again = { ...r, cseq: r.cseq + 1, headers: [...(r.headers ?? []), `Authorization: ${auth}`] };
  client.send(rawRequest(client, again));
  return client.next(r.callId, `${again.cseq} ${r.method}`);
}

test("bad SUBSCRIBEs get clear answers and leave no subscription", async () => {
  const { sw } = await pbx.get();
  const c = await new RawSipClient({ address: sw.address, port: sw.port }).open();
  try {
    const other = await withDigest(
      c,
      { ...subscribe(c, "301", `sip:202@${DOMAIN}`, ["Event: dialog"]), from: `<sip:301@other.test>;tag=x1` },
      "301",
    );
    assert.is(other.status, 403, `another customer's lamp: ${other.text}`);
    assert.match(other.text, /Not an extension of your customer/);

    const badEvent = await withDigest(
      c,
      subscribe(c, "203", `sip:202@${DOMAIN}`, ["Event: presence"]),
      "203",
    );
    assert.is(badEvent.status, 489, badEvent.text);
    assert.match(badEvent.header("allow-events") ?? "", /dialog/);

    const brief = await withDigest(
      c,
      subscribe(c, "203", `sip:202@${DOMAIN}`, ["Event: dialog", "Expires: 5"]),
      "203",
    );
    assert.is(brief.status, 423, brief.text);
    assert.is(brief.header("min-expires"), "60");

    const unknown = await withDigest(c, subscribe(c, "203", `sip:299@${DOMAIN}`, ["Event: dialog"]), "203");
    assert.is(unknown.status, 404, unknown.text);

    const mailbox = await withDigest(
      c,
      subscribe(c, "203", `sip:202@${DOMAIN}`, ["Event: message-summary"]),
      "203",
    );
    assert.is(mailbox.status, 403, `someone else's mailbox: ${mailbox.text}`);

    const stray = subscribe(c, "203", `sip:202@${DOMAIN}`, ["Event: dialog"]);
    const refresh = await withDigest(c, { ...stray, to: `<sip:202@${DOMAIN}>;tag=nosuchtag` }, "203");
    assert.is(refresh.status, 481, refresh.text);

    const wrong = subscribe(c, "203", `sip:202@${DOMAIN}`, ["Event: dialog"]);
    c.send(rawRequest(c, wrong));
    const ch = await c.next(wrong.callId, "1 SUBSCRIBE");
    const bad = digestAnswer(ch.header("www-authenticate") ?? "", {
      method: "SUBSCRIBE",
      uri: wrong.uri,
      username: "203",
      password: "not-the-password",
    });
    const wrongAgain = { ...wrong, cseq: 2, headers: [...(wrong.headers ?? []), `Authorization: ${bad}`] };
    c.send(rawRequest(c, wrongAgain));
    const refused = await c.next(wrong.callId, "2 SUBSCRIBE");
    assert.ok(refused.status === 401 || refused.status === 403, `wrong password: ${refused.text}`);
    assert.is(
      c.requests.filter((m) => m.startsWith("NOTIFY")).length,
      0,
      "no NOTIFY for a refused SUBSCRIBE",
    );
  } finally {
    c.close();
  }
});

test.run();
