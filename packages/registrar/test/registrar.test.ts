import {
  computeHA1,
  computeResponse,
  NonceService,
  parseAuthHeader,
  parseMessage,
  type SipRequest,
} from "@centrex/sip";
import { openSqliteStore, type Store } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DigestAuthenticator, ExpirySweeper, type RegisterSource, Registrar } from "../src/index.js";

// RFC 3261 §10.3 against a real (in-memory) SQLite store.
const SOURCE: RegisterSource = { transport: "UDP", remoteAddress: "127.0.0.1", remotePort: 40000 };
let store: Store;
let now = 1_800_000_000_000;
let registrar: Registrar;

function register(headers: string[], cseq = 1, callId = "reg-1@test"): SipRequest {
  const text = [
    "REGISTER sip:pbx.test SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-reg;rport",
    "From: <sip:201@pbx.test>;tag=abc",
    "To: <sip:201@pbx.test>",
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    "Max-Forwards: 70",
    ...headers,
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return parseMessage(Buffer.from(text)) as SipRequest;
}

/** Answers a 401 the way a phone does (MD5, qop=auth). */
function credentials(challenge: string, password: string, user = "201"): string {
  const c = parseAuthHeader(challenge).params;
  const realm = c.get("realm")!;
  const nonce = c.get("nonce")!;
  const ha1 = computeHA1(user, realm, password, "MD5");
  const response = computeResponse({
    ha1,
    method: "REGISTER",
    uri: "sip:pbx.test",
    nonce,
    nc: "00000001",
    cnonce: "xyz",
    qop: "auth",
    algorithm: "MD5",
  });
  return `Authorization: Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="sip:pbx.test", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="xyz"`;
}

async function authed(headers: string[], cseq: number, password = "secret-201", callId = "reg-1@test") {
  const first = await registrar.register(register(headers, cseq, callId), SOURCE);
  assert.is(first.response.status, 401);
  const challenge = first.response.get("www-authenticate")!;
  return registrar.register(
    register([...headers, credentials(challenge, password)], cseq + 1, callId),
    SOURCE,
  );
}

test.before.each(async () => {
  store = openSqliteStore(":memory:", { now: () => now });
  const c = await store.customers.create({ name: "Acme", domain: "pbx.test" });
  await store.extensions.create({ customerId: c.id, number: "201", password: "secret-201" });
  const nonces = new NonceService(Buffer.alloc(32, 7), { ttlSeconds: 300, clock: () => now });
  registrar = new Registrar({
    locations: store.locations,
    authenticator: new DigestAuthenticator({ extensions: store.extensions, nonces }),
    clock: () => now,
  });
});

test.after.each(async () => {
  await store.close();
});

test("no credentials: 401 with an MD5 digest challenge in the customer's realm", async () => {
  const r = await registrar.register(register(["Contact: <sip:201@10.0.0.5:5060>"]), SOURCE);
  assert.is(r.response.status, 401);
  // The authenticator's default: one challenge, MD5 alone (baresip 1.0 refuses a list).
  assert.is(r.response.getAll("www-authenticate").length, 1);
  assert.match(r.response.get("www-authenticate")!, /realm="pbx\.test".*algorithm=MD5/);
});

test("the challenge is sent statelessly: a retransmitted REGISTER gets the same bytes, the next REGISTER a new nonce", async () => {
  const req = register(["Contact: <sip:201@10.0.0.5:5060>"]);
  const first = await registrar.register(req, SOURCE);
  now += 500; // the phone retransmits after T1
  const again = await registrar.register(register(["Contact: <sip:201@10.0.0.5:5060>"]), SOURCE);
  assert.is(first.outcome, "challenged");
  assert.is(again.response.toBuffer().toString(), first.response.toBuffer().toString());
  const next = await registrar.register(register(["Contact: <sip:201@10.0.0.5:5060>"], 2), SOURCE);
  assert.is.not(next.response.get("www-authenticate"), first.response.get("www-authenticate"));
});

test("challengeStateless: the same 401 as register gives a REGISTER without credentials; nothing for one with credentials", async () => {
  const req = register(["Contact: <sip:201@10.0.0.5:5060>"]);
  const stateless = registrar.challengeStateless(req, SOURCE);
  const full = await registrar.register(register(["Contact: <sip:201@10.0.0.5:5060>"]), SOURCE);
  assert.is(stateless?.toBuffer().toString(), full.response.toBuffer().toString());
  const challenge = full.response.get("www-authenticate")!;
  const withCreds = register(["Contact: <sip:201@10.0.0.5:5060>", credentials(challenge, "secret-201")], 2);
  assert.is(
    registrar.challengeStateless(withCreds, SOURCE),
    undefined,
    "credentials to check: register's work",
  );
  // Credentials for another realm only: challenged in ours (RFC 3261 §22.3).
  const otherRealm = credentials(challenge, "secret-201").replace(
    'realm="pbx.test"',
    'realm="elsewhere.test"',
  );
  assert.is(registrar.challengeStateless(register([otherRealm], 3), SOURCE)?.status, 401);
  const ext = await store.extensions.find((await store.customers.list())[0]!.id, "201");
  assert.equal(await store.locations.current(ext!.id, now), [], "a challenge stores nothing");
});

test("credentials read before the transaction (challengeStateless) and by register are the request's own", async () => {
  // The authenticator keeps the last request's parsed credentials (the stack asks
  // challengeStateless, then register, with the same object): never another request's.
  const first = await registrar.register(register(["Contact: <sip:201@10.0.0.5:5060>"]), SOURCE);
  const challenge = first.response.get("www-authenticate")!;
  const withCreds = register(["Contact: <sip:201@10.0.0.5:5060>", credentials(challenge, "secret-201")], 2);
  assert.is(registrar.challengeStateless(withCreds, SOURCE), undefined);
  const bare = register(["Contact: <sip:201@10.0.0.5:5060>"], 3, "reg-2@test");
  assert.is(
    (await registrar.register(bare, SOURCE)).response.status,
    401,
    "not the previous request's credentials",
  );
  assert.is((await registrar.register(withCreds, SOURCE)).response.status, 200);
  const wrong = register(
    ["Contact: <sip:201@10.0.0.5:5060>", credentials(challenge, "not-it")],
    4,
    "reg-3@test",
  );
  assert.is(registrar.challengeStateless(wrong, SOURCE), undefined);
  assert.is((await registrar.register(wrong, SOURCE)).response.status, 403);
});

test("right password: 200 listing the binding, stored with the NAT-facing source", async () => {
  const r = await authed(["Contact: <sip:201@10.0.0.5:5060>", "Expires: 600"], 1);
  assert.is(r.response.status, 200);
  assert.match(r.response.get("contact")!, /<sip:201@10\.0\.0\.5:5060>;expires=600/);
  const [b] = await store.locations.current(r.extensionId!, now);
  assert.is(b?.sourceAddress, "127.0.0.1");
  assert.is(b?.sourcePort, 40000);
});

test("wrong password and unknown user get the same 403", async () => {
  const wrong = await authed(["Contact: <sip:201@10.0.0.5>"], 1, "not-the-password");
  assert.is(wrong.response.status, 403);
  const first = await registrar.register(register(["Contact: <sip:299@10.0.0.5>"]), SOURCE);
  const req = register(
    ["Contact: <sip:299@10.0.0.5>", credentials(first.response.get("www-authenticate")!, "x", "299")],
    2,
  );
  const unknown = await registrar.register(req, SOURCE);
  assert.is(unknown.response.status, 403);
  assert.is(unknown.response.reason, wrong.response.reason);
});

test("too brief an expiry: 423 with Min-Expires, and nothing stored", async () => {
  const r = await authed(["Contact: <sip:201@10.0.0.5>;expires=10"], 1);
  assert.is(r.response.status, 423);
  assert.is(r.response.get("min-expires"), "60");
  assert.is(await store.locations.countAll(now), 0);
});

test("Contact: * with Expires: 0 removes every binding; with another expiry it is a 400", async () => {
  await authed(["Contact: <sip:201@10.0.0.5>", "Contact: <sip:201@10.0.0.6>"], 1);
  assert.is(await store.locations.countAll(now), 2);
  const bad = await authed(["Contact: *", "Expires: 30"], 3, "secret-201", "reg-2@test");
  assert.is(bad.response.status, 400);
  const ok = await authed(["Contact: *", "Expires: 0"], 5, "secret-201", "reg-2@test");
  assert.is(ok.response.status, 200);
  assert.is(await store.locations.countAll(now), 0);
});

test("a REGISTER older than the binding (same Call-ID, lower CSeq) is refused", async () => {
  const r = await authed(["Contact: <sip:201@10.0.0.5>"], 10);
  assert.is(r.response.status, 200);
  const old = await authed(["Contact: <sip:201@10.0.0.5>"], 3);
  assert.is(old.response.status, 500);
});

test("expired bindings disappear in one sweep, without a timer per binding", async () => {
  await authed(["Contact: <sip:201@10.0.0.5>", "Expires: 60"], 1);
  const sweeper = new ExpirySweeper({ locations: store.locations, clock: () => now });
  assert.is((await sweeper.sweep()).length, 0);
  now += 61_000;
  assert.is((await sweeper.sweep()).length, 1);
  assert.is(await store.locations.countAll(now), 0);
});

test.run();
