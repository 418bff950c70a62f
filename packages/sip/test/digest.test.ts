import { createHash } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  AuthHeaderError,
  computeHA1,
  computeResponse,
  formatAuthorization,
  formatChallenge,
  NonceService,
  parseAlgorithm,
  parseAuthHeader,
  verifyAuthorization,
} from "../src/digest/index.js";

const math = suite("digest maths");

// RFC 2617 §3.5.
const rfc2617 =
  'Digest username="Mufasa",\r\n realm="testrealm@host.com",\r\n nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",\r\n' +
  ' uri="/dir/index.html",\r\n qop=auth,\r\n nc=00000001,\r\n cnonce="0a4f113b",\r\n' +
  ' response="6629fae49393a05397450978507c4ef1",\r\n opaque="5ccc069c403ebaf9f0171e9517f40e41"';

math("RFC 2617 §3.5 (MD5, qop=auth)", () => {
  const ha1 = computeHA1("Mufasa", "testrealm@host.com", "Circle Of Life");
  const response = computeResponse({
    ha1,
    method: "GET",
    uri: "/dir/index.html",
    nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
    nc: "00000001",
    cnonce: "0a4f113b",
    qop: "auth",
  });
  assert.is(response, "6629fae49393a05397450978507c4ef1");
  const creds = parseAuthHeader(rfc2617);
  assert.ok(verifyAuthorization(creds, "GET", ha1));
  assert.ok(verifyAuthorization(creds, "GET", ha1, { realm: "testrealm@host.com" }));
  assert.not.ok(verifyAuthorization(creds, "GET", ha1, { realm: "other" }));
  assert.not.ok(verifyAuthorization(creds, "POST", ha1), "method is covered");
  assert.not.ok(
    verifyAuthorization(creds, "GET", computeHA1("Mufasa", "testrealm@host.com", "circle of life")),
  );
});

// RFC 7616 §3.9.1.
const r7616 = {
  realm: "http-auth@example.org",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
  opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
};

math("RFC 7616 §3.9.1 MD5 and SHA-256", () => {
  for (const [algorithm, expected] of [
    ["MD5", "8ca523f5e9506fed4657c9700eebdbec"],
    ["SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"],
  ] as const) {
    const ha1 = computeHA1("Mufasa", r7616.realm, "Circle of Life", algorithm);
    const response = computeResponse({
      ha1,
      method: "GET",
      uri: "/dir/index.html",
      nonce: r7616.nonce,
      nc: "00000001",
      cnonce: r7616.cnonce,
      qop: "auth",
      algorithm,
    });
    assert.is(response, expected, algorithm);
    const header = formatAuthorization({
      username: "Mufasa",
      realm: r7616.realm,
      nonce: r7616.nonce,
      uri: "/dir/index.html",
      response,
      algorithm,
      cnonce: r7616.cnonce,
      opaque: r7616.opaque,
      qop: "auth",
      nc: "00000001",
    });
    const creds = parseAuthHeader(header);
    assert.ok(verifyAuthorization(creds, "GET", ha1), `${algorithm} round trip`);
    // An MD5 HA1 does not verify SHA-256 credentials and vice versa.
    const otherHa1 = computeHA1(
      "Mufasa",
      r7616.realm,
      "Circle of Life",
      algorithm === "MD5" ? "SHA-256" : "MD5",
    );
    assert.not.ok(verifyAuthorization(creds, "GET", otherHa1));
  }
});

math("legacy (no qop), -sess and auth-int follow their formulas", () => {
  const md5 = (s: string) => createHash("md5").update(s).digest("hex");
  const ha1 = computeHA1("alice", "centrex", "secret");
  assert.is(ha1, md5("alice:centrex:secret"));
  const legacy = computeResponse({ ha1, method: "REGISTER", uri: "sip:127.0.0.1", nonce: "n1" });
  assert.is(legacy, md5(`${ha1}:n1:${md5("REGISTER:sip:127.0.0.1")}`));
  const creds = parseAuthHeader(
    `Digest username="alice", realm="centrex", nonce="n1", uri="sip:127.0.0.1", response="${legacy.toUpperCase()}"`,
  );
  assert.ok(verifyAuthorization(creds, "REGISTER", ha1), "legacy, hex case-insensitive");

  const sess = computeResponse({
    ha1,
    method: "INVITE",
    uri: "sip:b@127.0.0.1",
    nonce: "n2",
    nc: "00000002",
    cnonce: "c",
    qop: "auth",
    algorithm: "MD5-sess",
  });
  const sha1 = md5(`${ha1}:n2:c`);
  assert.is(sess, md5(`${sha1}:n2:00000002:c:auth:${md5("INVITE:sip:b@127.0.0.1")}`));

  const body = Buffer.from("v=0\r\n");
  const int = computeResponse({
    ha1,
    method: "INVITE",
    uri: "sip:b@127.0.0.1",
    nonce: "n3",
    nc: "00000001",
    cnonce: "c",
    qop: "auth-int",
    body,
  });
  assert.is(int, md5(`${ha1}:n3:00000001:c:auth-int:${md5(`INVITE:sip:b@127.0.0.1:${md5("v=0\r\n")}`)}`));
  const intCreds = parseAuthHeader(
    `Digest username="alice", realm="centrex", nonce="n3", uri="sip:b@127.0.0.1", qop=auth-int, nc=00000001, cnonce="c", response="${int}"`,
  );
  assert.ok(verifyAuthorization(intCreds, "INVITE", ha1, { body }));
  assert.not.ok(verifyAuthorization(intCreds, "INVITE", ha1, { body: Buffer.from("v=1\r\n") }));
});

math("verification refuses incomplete or odd credentials", () => {
  const ha1 = computeHA1("alice", "centrex", "secret");
  const base = 'username="alice", realm="centrex", nonce="n", uri="sip:x", response="00"';
  for (const v of [
    `Basic ${base}`,
    `Digest ${base}, algorithm=SHA-512`,
    `Digest ${base}, qop=auth`, // no nc / cnonce
    `Digest ${base}, qop=auth, nc=1, cnonce="c"`, // nc not 8 hex
    `Digest ${base}, qop=bogus, nc=00000001, cnonce="c"`,
    'Digest username="alice", realm="centrex", nonce="n", response="00"', // no uri
  ]) {
    assert.not.ok(verifyAuthorization(parseAuthHeader(v), "REGISTER", ha1), v);
  }
  assert.is(parseAlgorithm(undefined), "MD5");
  assert.is(parseAlgorithm("sha-256-SESS"), "SHA-256-sess");
  assert.is(parseAlgorithm("SHA-1"), undefined);
});

const header = suite("auth header parsing and formatting");

header("names lower-cased, quotes, escapes, commas and spaces inside quotes", () => {
  const c = parseAuthHeader(
    '  Digest  USERNAME = "a \\"quoted\\" user, with comma" ,realm="r\\\\x",nonce=abc/+=,,  uri="sip:b@h;x=1, y", qop=auth  ',
  );
  assert.is(c.scheme, "Digest");
  assert.is(c.params.get("username"), 'a "quoted" user, with comma');
  assert.is(c.params.get("realm"), "r\\x");
  assert.is(c.params.get("nonce"), "abc/+=");
  assert.is(c.params.get("uri"), "sip:b@h;x=1, y");
  assert.is(c.params.get("qop"), "auth");
  assert.is(c.params.size, 5);
});

header("garbage throws AuthHeaderError (status 400)", () => {
  for (const v of [
    "",
    "   ",
    "Digest",
    'Digest realm="unterminated',
    "Digest realm",
    "Digest realm=",
    'Digest realm="a" nonce="b"',
    'Digest realm="a", realm="b"',
    "Digest =x",
    '"Digest" realm="a"',
    'Digest realm=a"b"',
  ]) {
    try {
      parseAuthHeader(v);
      assert.unreachable(`accepted: ${v}`);
    } catch (err) {
      assert.instance(err, AuthHeaderError, v);
      assert.is((err as AuthHeaderError).status, 400);
    }
  }
});

header("challenge formatting round-trips through the parser", () => {
  const text = formatChallenge({
    realm: 'centrex "main"',
    nonce: "abc",
    algorithm: "SHA-256",
    qop: ["auth", "auth-int"],
    stale: true,
    opaque: "o",
  });
  assert.is(
    text,
    'Digest realm="centrex \\"main\\"", nonce="abc", opaque="o", stale=TRUE, algorithm=SHA-256, qop="auth,auth-int"',
  );
  const c = parseAuthHeader(text);
  assert.is(c.params.get("realm"), 'centrex "main"');
  assert.is(c.params.get("stale"), "TRUE");
  assert.is(c.params.get("qop"), "auth,auth-int");
  assert.is(formatChallenge({ realm: "r", nonce: "n" }), 'Digest realm="r", nonce="n"');
  assert.throws(
    () => formatChallenge({ realm: "r\r\nX: y", nonce: "n" }),
    (e: unknown) => e instanceof AuthHeaderError,
  );
});

const nonces = suite("NonceService");

const secret = Buffer.from("0123456789abcdef0123456789abcdef");

nonces(
  "valid within the TTL, stale after, invalid when tampered / other secret / other realm / future",
  () => {
    let now = 1_800_000_000_000;
    const svc = new NonceService(secret, { ttlSeconds: 30, clock: () => now });
    const nonce = svc.create("centrex");
    assert.match(nonce, /^[A-Za-z0-9_-]+$/);
    assert.is(svc.verify(nonce, "centrex"), "valid");
    now += 30_000;
    assert.is(svc.verify(nonce, "centrex"), "valid");
    now += 1;
    assert.is(svc.verify(nonce, "centrex"), "stale");
    // Another node with the same secret (a standby, or us after a restart) agrees.
    const standby = new NonceService(Buffer.from(secret), { ttlSeconds: 30, clock: () => now });
    assert.is(standby.verify(nonce, "centrex", now - 10_000), "valid");
    const other = new NonceService(Buffer.from("another secret of 32 bytes......"), { ttlSeconds: 30 });
    assert.is(other.verify(nonce, "centrex", now - 10_000), "invalid");
    assert.is(svc.verify(nonce, "other-realm", now - 10_000), "invalid");
    // Flip one bit of every character position in turn: never accepted.
    for (let i = 0; i < nonce.length; i++) {
      const c = nonce[i] === "A" ? "B" : "A";
      const tampered = nonce.slice(0, i) + c + nonce.slice(i + 1);
      assert.is(svc.verify(tampered, "centrex", now - 10_000), "invalid", `position ${i}`);
    }
    // The last character's 2 unused bits set: the same bytes once decoded, another spelling —
    // refused, or a replay could restart the nonce-count under a new key.
    const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = B64.indexOf(nonce.at(-1) as string);
    assert.is(last % 4, 0, "issued nonces are canonical");
    for (let extra = 1; extra < 4; extra++) {
      const respelled = nonce.slice(0, -1) + B64[last + extra];
      assert.equal(Buffer.from(respelled, "base64url"), Buffer.from(nonce, "base64url"));
      assert.is(svc.verify(respelled, "centrex", now - 10_000), "invalid", `respelled +${extra}`);
    }
    assert.is(svc.verify("", "centrex"), "invalid");
    assert.is(svc.verify(`${nonce}A`, "centrex"), "invalid");
    assert.is(svc.verify("dcd98b7102dd2f0e8b11d0f600bfb0c093", "centrex"), "invalid");
    // Issued "in the future" beyond the allowed skew.
    const future = svc.create("centrex", now + 60_000);
    assert.is(svc.verify(future, "centrex", now), "invalid");
    assert.is(svc.verify(future, "centrex", now + 60_000), "valid");
    // Two nonces differ even at the same instant.
    assert.is.not(svc.create("centrex"), svc.create("centrex"));
  },
);

nonces(
  "a nonce for a stateless challenge: the same for the same request within its window, valid, another for any other",
  () => {
    const now = 1_800_000_000_000;
    const svc = new NonceService(secret, { ttlSeconds: 300, clock: () => now });
    const req = "SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\n<sip:201@pbx.test>;tag=a\nc1\n1 REGISTER\nMD5";
    const first = svc.create("pbx.test", now, req);
    // A retransmission half a second later gets the very same nonce (and so the same bytes).
    assert.is(svc.create("pbx.test", now + 500, req), first);
    assert.is(svc.verify(first, "pbx.test", now + 500), "valid");
    assert.is.not(svc.create("pbx.test", now, `${req}x`), first); // another request
    assert.is.not(svc.create("other.test", now, req), first); // another realm
    assert.is.not(
      new NonceService(Buffer.alloc(32, 1), { ttlSeconds: 300 }).create("pbx.test", now, req),
      first,
    );
    // The timestamp is the window's start: at most 32 s older than the challenge, never newer.
    const t0 = Buffer.from(first, "base64url").readUIntBE(0, 6);
    assert.ok(t0 <= now && now - t0 < 32_000);
    assert.is.not(svc.create("pbx.test", t0 + 32_000, req), first); // the next window
  },
);

nonces("nonce-count replay tracking is monotonic and bounded", () => {
  const svc = new NonceService(secret, { ttlSeconds: 30, maxTrackedNonces: 3 });
  const n = svc.create("r");
  assert.ok(svc.acceptNonceCount(n, "00000001"));
  assert.not.ok(svc.acceptNonceCount(n, "00000001"), "replay");
  assert.ok(svc.acceptNonceCount(n, "0000000A"));
  assert.not.ok(svc.acceptNonceCount(n, "00000009"));
  assert.not.ok(svc.acceptNonceCount(n, "zz"));
  for (let i = 0; i < 10; i++) svc.acceptNonceCount(`other${i}`, "00000001");
  assert.is(svc.trackedNonces, 3);
  assert.throws(
    () => new NonceService(Buffer.from("short"), { ttlSeconds: 1 }),
    (e: unknown) => e instanceof RangeError,
  );
});

math.run();
header.run();
nonces.run();
