import {
  computeHA1,
  parseAuthHeader,
  parseMessage,
  type SipRequest,
  type SipResponse,
  verifyAuthorization,
} from "@centrex/sip";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { answerChallenge, ChallengeError, isStale } from "../src/index.js";

const INVITE = parseMessage(
  Buffer.from(
    "INVITE sip:0142000000@carrier.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1\r\n" +
      "From: <sip:+33140000000@127.0.0.1>;tag=a\r\nTo: <sip:0142000000@carrier.test>\r\nCall-ID: d@127.0.0.1\r\n" +
      "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
  ),
) as SipRequest;

function challenge(status: 401 | 407, value: string): SipResponse {
  const h = status === 401 ? "WWW-Authenticate" : "Proxy-Authenticate";
  return parseMessage(
    Buffer.from(
      `SIP/2.0 ${status} Challenge\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1\r\n` +
        "From: <sip:+33140000000@127.0.0.1>;tag=a\r\nTo: <sip:0142000000@carrier.test>;tag=b\r\n" +
        `Call-ID: d@127.0.0.1\r\nCSeq: 1 INVITE\r\n${h}: ${value}\r\nContent-Length: 0\r\n\r\n`,
    ),
  ) as SipResponse;
}

const CREDS = { username: "trunkuser", password: "s3cret-pass" };

for (const algorithm of ["MD5", "SHA-256", "MD5-sess"] as const) {
  test(`401 with qop=auth, ${algorithm}: an Authorization the carrier can verify`, () => {
    const a = answerChallenge(
      INVITE,
      challenge(
        401,
        `Digest realm="carrier.test", nonce="abc", qop="auth,auth-int", algorithm=${algorithm}, opaque="op"`,
      ),
      CREDS,
    );
    assert.is(a.header, "Authorization");
    const creds = parseAuthHeader(a.value);
    assert.is(creds.params.get("uri"), "sip:0142000000@carrier.test");
    assert.is(creds.params.get("qop"), "auth");
    assert.is(creds.params.get("nc"), "00000001");
    assert.is(creds.params.get("opaque"), "op");
    const ha1 = computeHA1(
      "trunkuser",
      "carrier.test",
      "s3cret-pass",
      algorithm === "SHA-256" ? "SHA-256" : "MD5",
    );
    assert.ok(verifyAuthorization(creds, "INVITE", ha1));
    assert.not.ok(verifyAuthorization(creds, "INVITE", computeHA1("trunkuser", "carrier.test", "x")));
  });
}

test("407 without qop (RFC 2069): Proxy-Authorization, verifiable", () => {
  const a = answerChallenge(INVITE, challenge(407, 'Digest realm="carrier.test", nonce="n1"'), CREDS);
  assert.is(a.header, "Proxy-Authorization");
  const creds = parseAuthHeader(a.value);
  assert.is(creds.params.get("qop"), undefined);
  assert.ok(verifyAuthorization(creds, "INVITE", computeHA1("trunkuser", "carrier.test", "s3cret-pass")));
});

test("challenges we cannot answer throw ChallengeError (503)", () => {
  for (const v of [
    'Basic realm="x"',
    'Digest realm="x", nonce="n", algorithm=SHA-512-256',
    'Digest realm="x", nonce="n", qop="auth-int"',
  ]) {
    try {
      answerChallenge(INVITE, challenge(401, v), CREDS);
      assert.unreachable(v);
    } catch (err) {
      assert.instance(err, ChallengeError);
      assert.is((err as ChallengeError).status, 503);
    }
  }
});

test("stale=true is recognised", () => {
  assert.ok(isStale(challenge(401, 'Digest realm="x", nonce="n", stale=TRUE')));
  assert.not.ok(isStale(challenge(401, 'Digest realm="x", nonce="n"')));
});

test.run();
