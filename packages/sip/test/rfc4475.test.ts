import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseAuthHeader } from "../src/digest/index.js";
import {
  createErrorResponse,
  type NameAddr,
  parseMessage,
  type SipMessage,
  SipParseError,
  type SipRequest,
  type SipResponse,
  type SipUri,
  uriEquals,
} from "../src/message/index.js";

const DIR = join(import.meta.dirname, "fixtures", "rfc4475");
const read = (file: string): Buffer => readFileSync(join(DIR, file));

/**
 * Who gives the final answer to a message: the parser itself (rejecting it), or a layer above
 * that must act on values the parser hands it (RFC 4475 §3.2-§3.4).
 */
type Layer = "parser" | "transaction" | "proxy" | "registrar" | "uas";

type Outcome =
  | { parse: (m: SipMessage, data: Buffer) => void }
  /**
   * Rejected by `parseMessage` or, for a fault in a header decoded lazily (Via, Contact...), by
   * `validate()`: the two steps an element takes before acting on a message.
   */
  | { reject: number; names: string; answer: boolean };

interface Case {
  file: string;
  section: string;
  layer: Layer;
  /** What the owning layer answers (documentation of the RFC text; asserted where the parser owns it). */
  expected: string;
  outcome: Outcome;
}

const r = (m: SipMessage): SipRequest => {
  assert.is(m.kind, "request");
  return m as SipRequest;
};
const user = (u: unknown): string | undefined => (u as SipUri).user;
const sipOf = (a: NameAddr | undefined): SipUri => {
  if (a === undefined) throw new Error("missing address");
  return a.uri as SipUri;
};

const CASES: Case[] = [
  {
    file: "wsinv.dat",
    section: "3.1.1.1",
    layer: "parser",
    expected: "parse",
    outcome: {
      parse: (m, data) => {
        assert.is(r(m).method, "INVITE");
        assert.is(m.maxForwards, 68);
        assert.equal(m.cseq, { seq: 9, method: "INVITE" });
        assert.is(m.get("subject"), "");
        assert.equal(
          m.via.map((v) => [v.transport, v.branch]),
          [
            ["UDP", "390skdjuw"],
            ["TCP", "z9hG4bK9ikj8"],
            ["UDP", "z9hG4bK30239"],
          ],
        );
        assert.is(m.to.params.get("tag"), "1918181833n");
        assert.is(m.from.displayName, 'J Rosenberg \\"');
        assert.is(m.from.params.get("tag"), "98asjd8");
        assert.is(m.contact.length, 1);
        assert.is(m.contact[0]?.displayName, 'Quoted string ""');
        assert.is(m.contact[0]?.params.get("q"), "0.33");
        assert.is(m.contact[0]?.params.get("newparam"), "newvalue");
        assert.is(m.contact[0]?.params.get("secondparam"), null);
        assert.is(m.get("UnknownHeaderWithUnusualValue"), ";;,,;;,;");
        assert.is(m.get("newfangledheader"), "newfangled value continued newfangled value");
        assert.is(sipOf(m.route[0]).params.get("unknown-no-value"), null);
        assert.is(m.body.length, 150);
        assert.ok(m.toBuffer().equals(data));
      },
    },
  },
  {
    file: "intmeth.dat",
    section: "3.1.1.2",
    layer: "parser",
    expected: "parse (then proxy: forward or 404; UAS: 501 + Allow)",
    outcome: {
      parse: (m, data) => {
        const q = r(m);
        assert.is(q.method, "!interesting-Method0123456789_*+`.%indeed'~");
        assert.is(user(q.uri), "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
        assert.is((q.uri as SipUri).password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
        assert.is(m.to.displayName, "BEL:\x07 NUL:\x00 DEL:\x7f");
        assert.is(m.from.displayName, "token1~` token2'+_ token3*%!.-");
        assert.is(m.from.params.get("tag"), "_token~1'+`*%!-.");
        assert.is(m.callId, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
        assert.is(m.via[0]?.branch, "z9hG4bK-.!%66*_+`'~");
        const at = data.indexOf("extensionHeader-!.%*+_`'~:") + "extensionHeader-!.%*+_`'~:".length;
        const raw = data.toString("utf8", at, data.indexOf("\r\n", at));
        assert.ok(raw.length > 0 && !raw.includes("\uFFFD"));
        assert.is(m.get("extensionHeader-!.%*+_`'~"), raw);
        assert.ok(m.toBuffer().equals(data));
      },
    },
  },
  {
    file: "esc01.dat",
    section: "3.1.1.3",
    layer: "parser",
    expected: "parse",
    outcome: {
      parse: (m) => {
        assert.is(user(r(m).uri), "sips:user@example.com");
        assert.is(user(m.to.uri), "user");
        assert.is(user(m.from.uri), "I have spaces");
        const c = m.contact[0]?.uri as SipUri;
        assert.is(c.user, "caller");
        assert.ok(c.params.has("lr"));
        assert.is(c.params.get("name"), "value%41");
      },
    },
  },
  {
    file: "escnull.dat",
    section: "3.1.1.4",
    layer: "parser",
    expected: "parse",
    outcome: {
      parse: (m) => {
        assert.is(user(m.to.uri), "null-\x00-null");
        assert.equal(
          m.contact.map((c) => user(c.uri)),
          ["\x00", "\x00\x00"],
        );
        assert.not.ok(uriEquals(m.contact[0]?.uri as SipUri, m.contact[1]?.uri as SipUri));
      },
    },
  },
  {
    file: "esc02.dat",
    section: "3.1.1.5",
    layer: "parser",
    expected: "parse (UAS: 501)",
    outcome: {
      parse: (m) => {
        assert.is(r(m).method, "RE%47IST%45R");
        assert.is(m.to.displayName, "%Z%45");
        assert.is(m.contact.length, 2);
        assert.is(m.get("C%6Fntact"), "<sip:alias2@host2.example.com>");
      },
    },
  },
  {
    file: "lwsdisp.dat",
    section: "3.1.1.6",
    layer: "parser",
    expected: "parse",
    outcome: { parse: (m) => assert.is(m.from.displayName, "caller") },
  },
  {
    file: "longreq.dat",
    section: "3.1.1.7",
    layer: "parser",
    expected: "parse",
    outcome: {
      parse: (m, data) => {
        assert.is(m.via.length, 34);
        assert.ok((m.to.displayName ?? "").includes("extremeextremeextreme"));
        assert.ok(m.callId.length > 100);
        assert.ok((m.from.params.get("tag") ?? "").length > 100);
        assert.ok(m.toBuffer().equals(data));
      },
    },
  },
  {
    file: "dblreq.dat",
    section: "3.1.1.8",
    layer: "parser",
    expected: "parse the REGISTER, ignore trailing octets",
    outcome: {
      parse: (m, data) => {
        assert.is(r(m).method, "REGISTER");
        assert.is(m.body.length, 0);
        const out = m.toBuffer();
        assert.ok(out.length < data.length);
        assert.not.ok(out.toString("latin1").includes("INVITE"));
        assert.ok(data.subarray(0, out.length).equals(out));
      },
    },
  },
  {
    file: "semiuri.dat",
    section: "3.1.1.9",
    layer: "parser",
    expected: "parse",
    outcome: {
      parse: (m) => {
        const u = r(m).uri as SipUri;
        assert.is(u.user, "user;par=u@example.net");
        assert.is(u.host, "example.com");
        assert.is(u.params.size, 0);
        assert.is(m.getAll("accept").length, 6);
      },
    },
  },
  {
    file: "transports.dat",
    section: "3.1.1.10",
    layer: "parser",
    expected: "parse",
    outcome: {
      parse: (m) =>
        assert.equal(
          m.via.map((v) => v.transport),
          ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"],
        ),
    },
  },
  {
    file: "mpart01.dat",
    section: "3.1.1.11",
    layer: "parser",
    expected: "parse",
    outcome: {
      parse: (m) => {
        assert.is(m.body.length, 553);
        assert.ok(m.body.includes(0));
        assert.ok(m.contentType?.startsWith("multipart/mixed"));
      },
    },
  },
  {
    file: "unreason.dat",
    section: "3.1.1.12",
    layer: "parser",
    expected: "parse",
    outcome: {
      parse: (m, data) => {
        const s = m as SipResponse;
        assert.is(s.status, 200);
        const line = data.toString("utf8", 0, data.indexOf("\r\n"));
        assert.is(s.reason, line.slice("SIP/2.0 200 ".length));
        assert.ok(s.reason.startsWith("= 2**3 * 5**2 "));
      },
    },
  },
  {
    file: "noreason.dat",
    section: "3.1.1.13",
    layer: "parser",
    expected: "parse",
    outcome: {
      parse: (m) => {
        assert.is((m as SipResponse).status, 100);
        assert.is((m as SipResponse).reason, "");
      },
    },
  },
  {
    file: "badinv01.dat",
    section: "3.1.2.1",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Via", answer: true },
  },
  {
    file: "clerr.dat",
    section: "3.1.2.2",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Content-Length", answer: true },
  },
  {
    file: "ncl.dat",
    section: "3.1.2.3",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Content-Length", answer: true },
  },
  {
    file: "scalar02.dat",
    section: "3.1.2.4",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "CSeq", answer: true },
  },
  {
    file: "scalarlg.dat",
    section: "3.1.2.5",
    layer: "parser",
    expected: "drop (a response)",
    outcome: { reject: 400, names: "CSeq", answer: false },
  },
  {
    file: "quotbal.dat",
    section: "3.1.2.6",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "quoted string", answer: true },
  },
  {
    file: "ltgtruri.dat",
    section: "3.1.2.7",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Request-URI", answer: true },
  },
  {
    file: "lwsruri.dat",
    section: "3.1.2.8",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Request-URI", answer: true },
  },
  {
    file: "lwsstart.dat",
    section: "3.1.2.9",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Request-Line", answer: true },
  },
  {
    file: "trws.dat",
    section: "3.1.2.10",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Request-Line", answer: true },
  },
  {
    file: "escruri.dat",
    section: "3.1.2.11",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Request-URI", answer: true },
  },
  {
    file: "baddate.dat",
    section: "3.1.2.12",
    layer: "uas",
    expected: "accept: Date is not relied upon, kept verbatim",
    outcome: { parse: (m) => assert.is(m.get("date"), "Fri, 01 Jan 2010 16:00:00 EST") },
  },
  {
    file: "regbadct.dat",
    section: "3.1.2.13",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Contact", answer: true },
  },
  {
    file: "badaspec.dat",
    section: "3.1.2.14",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "addr-spec", answer: true },
  },
  {
    file: "baddn.dat",
    section: "3.1.2.15",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "display name", answer: true },
  },
  {
    file: "badvers.dat",
    section: "3.1.2.16",
    layer: "parser",
    expected: "505",
    outcome: { reject: 505, names: "Version", answer: true },
  },
  {
    file: "mismatch01.dat",
    section: "3.1.2.17",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "CSeq method", answer: true },
  },
  {
    file: "mismatch02.dat",
    section: "3.1.2.18",
    layer: "parser",
    expected: "501 or 400 (we: 400)",
    outcome: { reject: 400, names: "CSeq method", answer: true },
  },
  {
    file: "bigcode.dat",
    section: "3.1.2.19",
    layer: "parser",
    expected: "drop (a response)",
    outcome: { reject: 400, names: "status code", answer: false },
  },
  {
    file: "badbranch.dat",
    section: "3.2.1",
    layer: "transaction",
    expected: "400 or RFC 2543 matching",
    outcome: { parse: (m) => assert.is(m.via[0]?.branch, "z9hG4bK") },
  },
  {
    file: "insuf.dat",
    section: "3.3.1",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Call-ID", answer: true },
  },
  {
    file: "unkscm.dat",
    section: "3.3.2",
    layer: "proxy",
    expected: "416",
    outcome: {
      parse: (m) => {
        assert.is(r(m).uri.scheme, "nobodyknowsthisscheme");
        assert.is(r(m).uri.raw, "nobodyKnowsThisScheme:totallyopaquecontent");
      },
    },
  },
  {
    file: "novelsc.dat",
    section: "3.3.3",
    layer: "proxy",
    expected: "416",
    outcome: { parse: (m) => assert.is(r(m).uri.scheme, "soap.beep") },
  },
  {
    file: "unksm2.dat",
    section: "3.3.4",
    layer: "registrar",
    expected: "400 (AOR not SIP/SIPS)",
    outcome: {
      parse: (m) => {
        assert.is(m.to.uri.scheme, "isbn");
        assert.is(m.from.uri.scheme, "http");
        assert.is(m.contact[0]?.uri.scheme, "name");
      },
    },
  },
  {
    file: "bext01.dat",
    section: "3.3.5",
    layer: "uas",
    expected: "420 + Unsupported",
    outcome: {
      parse: (m) => {
        assert.equal(m.getAll("require"), ["nothingSupportsThis", "nothingSupportsThisEither"]);
        assert.equal(m.getAll("proxy-require"), ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]);
      },
    },
  },
  {
    file: "invut.dat",
    section: "3.3.6",
    layer: "uas",
    expected: "415",
    outcome: { parse: (m) => assert.is(m.contentType, "application/unknownformat") },
  },
  {
    file: "regaut01.dat",
    section: "3.3.7",
    layer: "registrar",
    expected: "401 with a Digest challenge",
    outcome: {
      parse: (m) => {
        const c = parseAuthHeader(m.get("authorization") ?? "");
        assert.is(c.scheme, "NoOneKnowsThisScheme");
        assert.is(c.params.get("opaque-data"), "here");
      },
    },
  },
  {
    file: "multi01.dat",
    section: "3.3.8",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Multiple", answer: true },
  },
  {
    file: "mcl01.dat",
    section: "3.3.9",
    layer: "parser",
    expected: "400",
    outcome: { reject: 400, names: "Content-Length", answer: true },
  },
  {
    file: "bcast.dat",
    section: "3.3.10",
    layer: "proxy",
    expected: "drop, never relay to broadcast",
    outcome: { parse: (m) => assert.is(m.via[1]?.host, "255.255.255.255") },
  },
  {
    file: "zeromf.dat",
    section: "3.3.11",
    layer: "proxy",
    expected: "483 (UAS: 200)",
    outcome: { parse: (m) => assert.is(m.maxForwards, 0) },
  },
  {
    file: "cparam01.dat",
    section: "3.3.12",
    layer: "registrar",
    expected: "200; unknownparam is a contact param",
    outcome: {
      parse: (m) => {
        assert.ok(m.contact[0]?.params.has("unknownparam"));
        assert.not.ok(sipOf(m.contact[0]).params.has("unknownparam"));
      },
    },
  },
  {
    file: "cparam02.dat",
    section: "3.3.13",
    layer: "registrar",
    expected: "200; unknownparam is a URI param",
    outcome: {
      parse: (m) => {
        assert.not.ok(m.contact[0]?.params.has("unknownparam"));
        assert.ok(sipOf(m.contact[0]).params.has("unknownparam"));
      },
    },
  },
  {
    file: "regescrt.dat",
    section: "3.3.14",
    layer: "registrar",
    expected: "200; binding keeps the escaped Route",
    outcome: {
      parse: (m) => {
        const u = m.contact[0]?.uri as SipUri;
        assert.is(u.headers.get("Route"), "<sip:sip.example.com>");
        assert.is(u.raw, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
      },
    },
  },
  {
    file: "sdp01.dat",
    section: "3.3.15",
    layer: "uas",
    expected: "406 (or 400)",
    outcome: { parse: (m) => assert.equal(m.getAll("accept"), ["text/nobodyKnowsThis"]) },
  },
  {
    file: "inv2543.dat",
    section: "3.4.1",
    layer: "parser",
    expected: "parse (RFC 2543 fallbacks)",
    outcome: {
      parse: (m, data) => {
        assert.is(m.via[0]?.branch, undefined);
        assert.is(m.from.params.get("tag"), undefined);
        assert.is(m.maxForwards, undefined);
        assert.is(m.contentLength, undefined);
        assert.is(m.body.length, data.length - data.indexOf("\r\n\r\n") - 4);
        assert.is(m.contact.length, 0);
        const out = parseMessage(m.toBuffer());
        assert.is(out.contentLength, m.body.length);
      },
    },
  },
];

test("the table covers all 49 files", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".dat"));
  assert.is(files.length, 49);
  assert.equal(CASES.map((c) => c.file).sort(), files.sort());
});

for (const c of CASES) {
  test(`§${c.section} ${c.file} (${c.layer}: ${c.expected})`, () => {
    const data = read(c.file);
    const o = c.outcome;
    if ("parse" in o) {
      const m = parseMessage(data);
      m.validate();
      o.parse(m, data);
      return;
    }
    let err: SipParseError | undefined;
    try {
      parseMessage(data).validate();
    } catch (e) {
      assert.instance(e, SipParseError);
      err = e as SipParseError;
    }
    if (err === undefined) return assert.unreachable("should be rejected");
    assert.is(err.status, o.reject);
    assert.ok(err.reason.includes(o.names), `"${err.reason}" should name ${o.names}`);
    assert.is(err.canRespond, o.answer);
    const response = createErrorResponse(data, err);
    if (!o.answer) {
      assert.is(response, undefined);
      return;
    }
    assert.ok(response);
    const text = (response as Buffer).toString("utf8");
    assert.ok(text.startsWith(`SIP/2.0 ${o.reject} ${err.reason}\r\n`));
    assert.ok(text.includes("\r\nVia: "));
    assert.ok(text.endsWith("Content-Length: 0\r\n\r\n"));
  });
}

test.run();
