import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseAuthHeader } from "../src/digest/index.js";
import {
  createErrorResponse,
  createResponse,
  parseMessage,
  reasonPhrase,
  SipParseError,
  type SipRequest,
  type SipResponse,
  type SipUri,
} from "../src/message/index.js";

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join("\r\n"), "utf8");

const SDP =
  "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";

const INVITE = crlf([
  "INVITE sip:bob@127.0.0.1:5060 SIP/2.0",
  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds;rport",
  "Max-Forwards: 70",
  "Route: <sip:127.0.0.2;lr>, <sip:127.0.0.3;lr>",
  'From: "Alice" <sip:alice@127.0.0.1>;tag=1928301774',
  "To: Bob <sip:bob@127.0.0.1>",
  "Call-ID: a84b4c76e66710@127.0.0.1",
  "CSeq: 314159 INVITE",
  "Contact: <sip:alice@127.0.0.1:5070>",
  'Authorization: Digest username="alice", realm="centrex", nonce="abc,def", uri="sip:bob@127.0.0.1", response="00"',
  "Date: Sat, 13 Nov 2010 23:29:00 GMT",
  "Allow: INVITE, ACK, BYE",
  "Allow: CANCEL",
  "X-Custom: one, two",
  "Content-Type: application/sdp",
  `Content-Length: ${SDP.length}`,
  "",
  SDP,
]);

function req(data: Buffer): SipRequest {
  const m = parseMessage(data);
  assert.is(m.kind, "request");
  return m as SipRequest;
}

function parseError(data: Buffer): SipParseError {
  try {
    parseMessage(data);
  } catch (err) {
    assert.instance(err, SipParseError);
    return err as SipParseError;
  }
  throw new Error("expected a SipParseError");
}

test("parses a request: start line and typed headers", () => {
  const m = req(INVITE);
  assert.is(m.method, "INVITE");
  assert.is(m.version, "SIP/2.0");
  const uri = m.uri as SipUri;
  assert.is(uri.user, "bob");
  assert.is(uri.port, 5060);
  assert.is(m.via.length, 1);
  assert.is(m.via[0]?.branch, "z9hG4bK776asdhds");
  assert.is(m.via[0]?.rport, null);
  assert.is(m.via[0]?.transport, "UDP");
  assert.is(m.via[0]?.port, 5070);
  assert.is(m.from.displayName, "Alice");
  assert.is(m.from.params.get("tag"), "1928301774");
  assert.is(m.to.displayName, "Bob");
  assert.is(m.to.params.get("tag"), undefined);
  assert.is(m.callId, "a84b4c76e66710@127.0.0.1");
  assert.equal(m.cseq, { seq: 314159, method: "INVITE" });
  assert.is(m.maxForwards, 70);
  assert.is(m.contentLength, SDP.length);
  assert.is(m.contentType, "application/sdp");
  assert.is(m.contact.length, 1);
  assert.is(m.contactStar, false);
  assert.is(m.route.length, 2);
  assert.is((m.route[1]?.uri as SipUri | undefined)?.host, "127.0.0.3");
  assert.is(m.recordRoute.length, 0);
  assert.is(m.expires, undefined);
  assert.is(m.body.toString(), SDP);
});

test("comma lists split only for list headers", () => {
  const m = req(INVITE);
  assert.equal(m.getAll("allow"), ["INVITE", "ACK", "BYE", "CANCEL"]);
  assert.is(m.getAll("Authorization").length, 1);
  assert.ok(m.get("authorization")?.includes('nonce="abc,def"'));
  assert.equal(m.getAll("date"), ["Sat, 13 Nov 2010 23:29:00 GMT"]);
  assert.equal(m.getAll("x-custom"), ["one, two"]);
  assert.ok(m.has("X-CUSTOM"));
  assert.not.ok(m.has("Subject"));
  const cred = parseAuthHeader(m.get("authorization") ?? "");
  assert.is(cred.scheme, "Digest");
  assert.is(cred.params.get("nonce"), "abc,def");
  assert.is(cred.params.get("username"), "alice");
});

test("compact forms, folding and odd spacing", () => {
  const data = crlf([
    "OPTIONS sip:127.0.0.1 SIP/2.0",
    "v: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKa,",
    "  SIP/2.0/UDP [::1]:5062;branch=z9hG4bKb;received=127.0.0.9",
    "f: <sip:a@127.0.0.1>;tag=x",
    "T :",
    "  <sip:b@127.0.0.1>",
    "i: cid",
    "CSEQ: 2",
    "  OPTIONS",
    "m: *",
    "l: 0",
    "k: path, 100rel",
    "",
    "",
  ]);
  const m = req(data);
  assert.is(m.via.length, 2);
  assert.is(m.via[1]?.host, "[::1]");
  assert.is(m.via[1]?.received, "127.0.0.9");
  assert.is((m.to.uri as SipUri).user, "b");
  assert.equal(m.cseq, { seq: 2, method: "OPTIONS" });
  assert.is(m.contactStar, true);
  assert.equal(m.contact, []);
  assert.equal(m.getAll("Supported"), ["path", "100rel"]);
  assert.is(m.callId, "cid");
  assert.ok(m.toBuffer().equals(data));
});

test("an unchanged message serializes byte-identical", () => {
  const m = req(INVITE);
  m.via;
  m.route;
  assert.ok(m.toBuffer().equals(INVITE));
});

test("edits rewrite only the edited lines", () => {
  const m = req(INVITE);
  m.prepend("Via", "SIP/2.0/UDP 127.0.0.5:5060;branch=z9hG4bKproxy");
  m.removeFirst("Route");
  m.set("Max-Forwards", String((m.maxForwards ?? 70) - 1));
  const out = m.toBuffer().toString();
  const original = INVITE.toString().split("\r\n");
  const lines = out.split("\r\n");
  assert.is(lines[0], original[0]);
  assert.is(lines[1], "Via: SIP/2.0/UDP 127.0.0.5:5060;branch=z9hG4bKproxy");
  assert.is(lines[2], original[1]);
  assert.is(lines[3], "Max-Forwards: 69");
  assert.is(lines[4], "Route: <sip:127.0.0.3;lr>");
  for (let i = 5; i < original.length; i++) assert.is(lines[i + 1], original[i]);
  const again = parseMessage(m.toBuffer());
  assert.is(again.via.length, 2);
  assert.is(again.via[0]?.branch, "z9hG4bKproxy");
  assert.is(again.route.length, 1);
  assert.is(again.maxForwards, 69);
  assert.is(m.via[0]?.branch, "z9hG4bKproxy");
  assert.is(m.route.length, 1);
  m.removeFirst("Route");
  assert.is(m.route.length, 0);
  assert.not.ok(m.toBuffer().toString().includes("Route:"));
});

test("setBody keeps Content-Length true; set/append/remove", () => {
  const m = req(INVITE);
  m.setBody(Buffer.from("hello"), "text/plain");
  m.append("X-New", "1");
  m.remove("Allow");
  const again = parseMessage(m.toBuffer());
  assert.is(again.contentLength, 5);
  assert.is(again.body.toString(), "hello");
  assert.is(again.contentType, "text/plain");
  assert.is(again.get("x-new"), "1");
  assert.not.ok(again.has("allow"));
  assert.throws(() => m.set("X-Bad", "a\r\nInjected: 1"));
});

test("retargeting the Request-URI rewrites only the start line", () => {
  const m = req(INVITE);
  m.uri = {
    scheme: "sip",
    user: "carol",
    password: undefined,
    host: "127.0.0.4",
    port: undefined,
    params: new Map(),
    headers: new Map(),
    raw: "sip:carol@127.0.0.4",
  };
  const out = m.toBuffer().toString();
  assert.ok(out.startsWith("INVITE sip:carol@127.0.0.4 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070"));
  assert.is(out.length, INVITE.length - "bob@127.0.0.1:5060".length + "carol@127.0.0.4".length);
});

test("body framing: trailing octets ignored, absent Content-Length takes the rest", () => {
  const extra = Buffer.concat([INVITE, Buffer.from("GARBAGE")]);
  const m = req(extra);
  assert.is(m.body.toString(), SDP);
  assert.ok(m.toBuffer().equals(INVITE));
  const noLength = crlf([
    "MESSAGE sip:b@127.0.0.1 SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1",
    "From: <sip:a@127.0.0.1>;tag=1",
    "To: <sip:b@127.0.0.1>",
    "Call-ID: x",
    "CSeq: 1 MESSAGE",
    "",
    "hi there",
  ]);
  const n = req(noLength);
  assert.is(n.body.toString(), "hi there");
  assert.is(n.contentLength, undefined);
  assert.ok(n.toBuffer().toString().endsWith("Content-Length: 8\r\n\r\nhi there"));
});

test("parses a response", () => {
  const data = crlf([
    "SIP/2.0 180 Ringing",
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1;received=127.0.0.1;rport=5070",
    "From: <sip:a@127.0.0.1>;tag=1",
    "To: <sip:b@127.0.0.1>;tag=2",
    "Call-ID: x",
    "CSeq: 1 INVITE",
    "Record-Route: <sip:127.0.0.2;lr>",
    "Content-Length: 0",
    "",
    "",
  ]);
  const m = parseMessage(data) as SipResponse;
  assert.is(m.kind, "response");
  assert.is(m.status, 180);
  assert.is(m.reason, "Ringing");
  assert.is(m.via[0]?.rport, 5070);
  assert.is(m.recordRoute.length, 1);
  assert.is(m.to.params.get("tag"), "2");
});

test("rejects with reasons that name the fault", () => {
  const base = INVITE.toString();
  const cases: [string, string, number][] = [
    [base.replace("CSeq: 314159 INVITE", "CSeq: 99999999999 INVITE"), "CSeq", 400],
    [base.replace("CSeq: 314159 INVITE", "CSeq: 1 BYE"), "CSeq method", 400],
    [base.replace("Max-Forwards: 70", "Max-Forwards: abc"), "Max-Forwards", 400],
    [base.replace(/Content-Length: \d+/, "Content-Length: -1"), "Content-Length", 400],
    [base.replace(/Content-Length: \d+/, "Content-Length: 9999"), "Content-Length larger", 400],
    [base.replace("Call-ID: a84b4c76e66710@127.0.0.1\r\n", ""), "Call-ID", 400],
    [base.replace("SIP/2.0\r\n", "SIP/3.0\r\n"), "Version Not Supported", 505],
    [base.replace("To: Bob <sip:bob@127.0.0.1>", 'To: "Bob <sip:bob@127.0.0.1>'), "quoted", 400],
  ];
  for (const [text, word, status] of cases) {
    const err = parseError(Buffer.from(text));
    assert.is(err.status, status, text.slice(0, 40));
    assert.ok(err.reason.includes(word), `${err.reason} should name ${word}`);
    assert.ok(err.canRespond);
    const resp = createErrorResponse(Buffer.from(text), err);
    assert.ok(resp);
    // The faulty header may be one the response must copy: check the text, not a re-parse.
    const lines = (resp as Buffer).toString().split("\r\n");
    assert.is(lines[0], `SIP/2.0 ${status} ${err.reason}`);
    assert.is(lines[1], "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds;rport");
    assert.ok(lines.some((l) => l.startsWith("To: ") && l.includes(";tag=")));
    assert.ok(lines.includes("Content-Length: 0"));
  }
});

test("errors on responses and unreadable start lines cannot be answered", () => {
  const resp = parseError(
    crlf(["SIP/2.0 200 OK", "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1", "CSeq: x", "", ""]),
  );
  assert.is(resp.canRespond, false);
  assert.is(createErrorResponse(Buffer.alloc(0), resp), undefined);
  assert.is(parseError(Buffer.from("\r\n\r\n")).canRespond, false);
  assert.is(parseError(Buffer.from("garbage")).canRespond, false);
  const ack = INVITE.toString()
    .replace("INVITE sip", "ACK sip")
    .replace("314159 INVITE", "314159 ACK")
    .replace("CSeq: 314159 ACK", "CSeq: x ACK");
  const err = parseError(Buffer.from(ack));
  assert.is(createErrorResponse(Buffer.from(ack), err), undefined);
});

test("createResponse copies Via/From/To/Call-ID/CSeq and adds the To tag", () => {
  const data = Buffer.from(
    INVITE.toString().replace(
      "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds;rport",
      "Via: SIP/2.0/UDP 127.0.0.9;branch=z9hG4bKtop, SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds;rport\r\nVia: SIP/2.0/TCP 127.0.0.8;branch=z9hG4bKlast",
    ),
  );
  const m = req(data);
  const r = createResponse(m, 486, undefined, { toTag: "abc", headers: [["Retry-After", "30"]] });
  assert.is(r.status, 486);
  assert.is(r.reason, "Busy Here");
  assert.equal(
    r.via.map((v) => v.branch),
    ["z9hG4bKtop", "z9hG4bK776asdhds", "z9hG4bKlast"],
  );
  assert.is(r.from.params.get("tag"), "1928301774");
  assert.is(r.to.params.get("tag"), "abc");
  assert.is(r.callId, m.callId);
  assert.equal(r.cseq, m.cseq);
  assert.is(r.get("retry-after"), "30");
  const ok = createResponse(m, 200, "Fine", {
    toTag: "t",
    body: Buffer.from(SDP),
    contentType: "application/sdp",
  });
  assert.is(ok.reason, "Fine");
  assert.is(ok.body.toString(), SDP);
  assert.is(ok.contentType, "application/sdp");
  const trying = createResponse(m, 100);
  assert.is(trying.to.params.get("tag"), undefined);
  // In-dialog request: the To tag is already there, `toTag` must not add a second one.
  const inDialog = req(
    Buffer.from(
      data.toString().replace("To: Bob <sip:bob@127.0.0.1>", "To: Bob <sip:bob@127.0.0.1>;tag=xyz"),
    ),
  );
  const r2 = createResponse(inDialog, 200, undefined, { toTag: "other" });
  assert.is(r2.to.params.get("tag"), "xyz");
  assert.is(r2.get("to"), "Bob <sip:bob@127.0.0.1>;tag=xyz");
  assert.is(reasonPhrase(481), "Call/Transaction Does Not Exist");
  assert.is(reasonPhrase(499), "Client Error");
});

test("createResponse writes the message object with its bytes: it reads back as the same message parsed", () => {
  const m = req(INVITE);
  const cases: SipResponse[] = [
    createResponse(m, 401, undefined, {
      headers: [["WWW-Authenticate", 'Digest realm="a.pbx.test", nonce="n"']],
    }),
    createResponse(m, 200, "OK", {
      headers: [
        ["Contact", "<sip:201@127.0.0.1:5070>;expires=3600"],
        ["Contact", "<sip:201@127.0.0.2:5070>;expires=60;q=0.5"],
        ["Date", "Sat, 05 Dec 2026 13:00:00 GMT"],
      ],
      body: Buffer.from(SDP),
      contentType: "application/sdp",
    }),
    // Non-ASCII (a display name, a reason phrase): byte offsets differ from character offsets.
    createResponse(req(Buffer.from(INVITE.toString().replace("To: Bob", 'To: "Bébé"'))), 180, "Sonne à côté"),
    // A value folded over two lines (its offsets are not one line's), a phrase with control characters.
    createResponse(m, 480, "Gone\r\nfor\tnow", { headers: [["Subject", "one\r\n two"]] }),
  ];
  for (const r of cases) {
    const again = parseMessage(r.toBuffer()) as SipResponse;
    assert.is(r.status, again.status);
    assert.is(r.reason, again.reason);
    assert.equal(r.getAll("via"), again.getAll("via"));
    for (const h of [
      "from",
      "to",
      "call-id",
      "cseq",
      "contact",
      "content-type",
      "content-length",
      "www-authenticate",
      "subject",
    ]) {
      assert.equal(r.getAll(h), again.getAll(h), h);
    }
    assert.equal(
      r.contact.map((c) => c.uri.raw),
      again.contact.map((c) => c.uri.raw),
    );
    assert.is(r.to.params.get("tag"), again.to.params.get("tag"));
    assert.is(r.body.toString("latin1"), again.body.toString("latin1"));
    assert.equal(r.cseq, again.cseq);
    // Edits re-serialise from the written offsets.
    const edited = r.clone();
    edited.set("server", "centrex");
    const back = parseMessage(edited.toBuffer()) as SipResponse;
    assert.is(back.get("server"), "centrex");
    assert.is(back.get("to"), again.get("to"));
    assert.is(back.body.toString("latin1"), again.body.toString("latin1"));
  }
  assert.is(cases[2]?.reason, "Sonne à côté");
  assert.is(cases[2]?.to.displayName, "Bébé");
});

test("createResponse tags every response but a 100 (§8.2.6.2): one tag per request, stable", () => {
  const m = req(INVITE);
  const busy = createResponse(m, 486);
  const tag = busy.to.params.get("tag");
  assert.type(tag, "string");
  assert.ok((tag as string).length >= 8);
  // Another response to the same request (or its retransmission, parsed anew) gets the same tag.
  assert.is(createResponse(req(Buffer.from(INVITE)), 180).to.params.get("tag"), tag);
  assert.is(createResponse(m, 100).to.params.get("tag"), undefined);
  const other = req(Buffer.from(INVITE.toString().replace("z9hG4bK776asdhds", "z9hG4bKother")));
  assert.is.not(createResponse(other, 486).to.params.get("tag"), tag);
});

test("lazy decode errors are SipParseError, validate() surfaces them", () => {
  const data = Buffer.from(
    INVITE.toString().replace("Contact: <sip:alice@127.0.0.1:5070>", "Contact: <sip:alice@127.0.0.1:5070>;;"),
  );
  const m = req(data);
  assert.throws(
    () => m.contact,
    (e: unknown) => e instanceof SipParseError && e.status === 400,
  );
  assert.throws(
    () => m.validate(),
    (e: unknown) => e instanceof SipParseError,
  );
  assert.ok(m.toBuffer().equals(data));
});

test("removeFirst on a multi-value line rewrites only that line", () => {
  const data = crlf([
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKproxy, SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKphone",
    "From: <sip:a@127.0.0.1>;tag=1",
    "To: <sip:b@127.0.0.1>;tag=2",
    "Call-ID: x",
    "CSeq: 1 INVITE",
    "Content-Length: 0",
    "",
    "",
  ]);
  const m = parseMessage(data);
  assert.is(m.via.length, 2);
  m.removeFirst("v");
  assert.is(m.via.length, 1);
  assert.is(m.via[0]?.branch, "z9hG4bKphone");
  const out = m.toBuffer().toString();
  assert.is(out, data.toString().replace("SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKproxy, ", ""));
});

test("Content-Length is computed, never taken from edits; folded and compact forms read", () => {
  const data = crlf([
    "MESSAGE sip:b@127.0.0.1 SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1",
    "From: <sip:a@127.0.0.1>;tag=1",
    "To: <sip:b@127.0.0.1>",
    "Call-ID: x",
    "CSeq: 1 MESSAGE",
    "l:",
    " 5",
    "",
    "hello",
  ]);
  const m = req(data);
  assert.is(m.contentLength, 5);
  assert.ok(m.toBuffer().equals(data));
  m.set("Content-Length", "999");
  const again = parseMessage(m.toBuffer());
  assert.is(again.contentLength, 5);
  assert.is(again.body.toString(), "hello");
});

test("keep-alive CRLFs before the start line are skipped; Contact * and mixtures", () => {
  const star = Buffer.concat([
    Buffer.from("\r\n\r\n"),
    crlf([
      "REGISTER sip:127.0.0.1 SIP/2.0",
      "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1",
      "From: <sip:a@127.0.0.1>;tag=1",
      "To: <sip:a@127.0.0.1>",
      "Call-ID: x",
      "CSeq: 1 REGISTER",
      "Contact: *",
      "Expires: 0",
      "Content-Length: 0",
      "",
      "",
    ]),
  ]);
  const m = req(star);
  assert.is(m.method, "REGISTER");
  assert.is(m.contactStar, true);
  assert.is(m.expires, 0);
  assert.ok(m.toBuffer().equals(star.subarray(4)));
  const mixed = req(Buffer.from(star.toString().replace("Contact: *", "Contact: *, <sip:a@127.0.0.1>")));
  assert.throws(
    () => mixed.contact,
    (e: unknown) => e instanceof SipParseError,
  );
});

test("Contact parameters with quoted values holding <> and commas", () => {
  const data = crlf([
    "REGISTER sip:127.0.0.1 SIP/2.0",
    "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKreg1;rport",
    "From: <sip:201@127.0.0.1>;tag=reg1",
    "To: <sip:201@127.0.0.1>",
    "Call-ID: reg-1",
    "CSeq: 7 REGISTER",
    'Contact: <sip:201@127.0.0.1:5070;transport=tcp>;+sip.instance="<urn:uuid:0001>";reg-id=1;expires=600, "A, B" <sip:201@127.0.0.1:5071>;q=0.5',
    "Content-Length: 0",
    "",
    "",
  ]);
  const m = req(data);
  assert.is(m.contact.length, 2);
  assert.is(m.contact[0]?.params.get("+sip.instance"), '"<urn:uuid:0001>"');
  assert.is(m.contact[0]?.params.get("expires"), "600");
  assert.is((m.contact[0]?.uri as SipUri | undefined)?.params.get("transport"), "tcp");
  assert.is(m.contact[1]?.displayName, "A, B");
  assert.is(m.contact[1]?.params.get("q"), "0.5");
  assert.is(m.getAll("m").length, 2);
});

test.run();
