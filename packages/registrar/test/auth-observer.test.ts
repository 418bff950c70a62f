import {
  computeHA1,
  computeResponse,
  NonceService,
  parseAuthHeader,
  parseMessage,
  type SipRequest,
} from "@centrex/sip";
import { openSqliteStore } from "@centrex/store";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DigestAuthenticator } from "../src/index.js";

function register(user: string, auth?: string): SipRequest {
  const text = [
    "REGISTER sip:pbx.test SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-reg;rport",
    `From: <sip:${user}@pbx.test>;tag=abc`,
    `To: <sip:${user}@pbx.test>`,
    "Call-ID: obs@test",
    "CSeq: 1 REGISTER",
    ...(auth !== undefined ? [auth] : []),
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return parseMessage(Buffer.from(text)) as SipRequest;
}

function answer(challenge: string, user: string, password: string): string {
  const c = parseAuthHeader(challenge).params;
  const nonce = c.get("nonce")!;
  const response = computeResponse({
    ha1: computeHA1(user, "pbx.test", password, "MD5"),
    method: "REGISTER",
    uri: "sip:pbx.test",
    nonce,
    nc: "00000001",
    cnonce: "c",
    qop: "auth",
    algorithm: "MD5",
  });
  return `Authorization: Digest username="${user}", realm="pbx.test", nonce="${nonce}", uri="sip:pbx.test", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c"`;
}

test("every wrong digest answer is reported (wrong password and unknown user alike), nothing else is", async () => {
  const store = openSqliteStore(":memory:");
  const c = await store.customers.create({ name: "Acme", domain: "pbx.test" });
  await store.extensions.create({ customerId: c.id, number: "201", password: "Kz8-xqw-Mw4q" });
  const seen: string[] = [];
  const auth = new DigestAuthenticator({
    extensions: store.extensions,
    nonces: new NonceService(Buffer.alloc(32, 3), { ttlSeconds: 300 }),
    onBadCredentials: (req, username, realm) => seen.push(`${req.method} ${username}@${realm}`),
  });
  try {
    const first = await auth.authenticate(register("201"), "pbx.test", "www");
    assert.is(first.ok, false);
    assert.equal(seen, [], "a first request without credentials is not a failure");
    const challenge = first.ok ? "" : first.response.get("www-authenticate")!;
    const wrong = await auth.authenticate(
      register("201", answer(challenge, "201", "guess")),
      "pbx.test",
      "www",
    );
    const unknown = await auth.authenticate(
      register("299", answer(challenge, "299", "guess")),
      "pbx.test",
      "www",
    );
    assert.is(wrong.ok ? 0 : wrong.response.status, 403);
    assert.is(unknown.ok ? 0 : unknown.response.status, 403);
    assert.equal(seen, ["REGISTER 201@pbx.test", "REGISTER 299@pbx.test"]);
    const right = await auth.authenticate(
      register("201", answer(challenge, "201", "Kz8-xqw-Mw4q")),
      "pbx.test",
      "www",
    );
    assert.ok(right.ok);
    assert.is(seen.length, 2);
  } finally {
    await store.close();
  }
});

test.run();
