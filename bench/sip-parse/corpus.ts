/** A realistic mix: what a softswitch sees for one call and one registration refresh. */
const crlf = (lines: string[]): Buffer => Buffer.from(lines.join("\r\n"), "utf8");

const OFFER = [
  "v=0",
  "o=- 20518 0 IN IP4 127.0.0.1",
  "s=SDP data",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 11796 RTP/AVP 9 0 8 18 101",
  "a=rtpmap:9 G722/8000",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:18 G729/8000",
  "a=fmtp:18 annexb=no",
  "a=ptime:20",
  "a=sendrecv",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "",
].join("\r\n");

const ANSWER = [
  "v=0",
  "o=centrex 1 1 IN IP4 127.0.0.2",
  "s=-",
  "c=IN IP4 127.0.0.2",
  "t=0 0",
  "m=audio 30000 RTP/AVP 8 101",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=ptime:20",
  "a=sendrecv",
  "",
].join("\r\n");

export const INVITE = crlf([
  "INVITE sip:0142685300@127.0.0.2:5060 SIP/2.0",
  "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1496183389;rport",
  "Route: <sip:127.0.0.2:5060;lr>",
  'From: "Reception" <sip:201@127.0.0.2:5060>;tag=1380357282',
  "To: <sip:0142685300@127.0.0.2:5060>",
  "Call-ID: 1927196727@127.0.0.1",
  "CSeq: 2 INVITE",
  "Contact: <sip:201@127.0.0.1:5062>",
  'Proxy-Authorization: Digest username="201", realm="centrex", nonce="5f2a1c0e9b8d7a6f", uri="sip:0142685300@127.0.0.2:5060", response="0c2a0f5a8b6c4d3e2f1a0b9c8d7e6f5a", algorithm=MD5',
  "Content-Type: application/sdp",
  "Allow: INVITE, INFO, PRACK, ACK, BYE, CANCEL, OPTIONS, NOTIFY, REGISTER, SUBSCRIBE, REFER, PUBLISH, UPDATE, MESSAGE",
  "Max-Forwards: 70",
  "User-Agent: Yealink SIP-T46S 66.86.0.15",
  "Allow-Events: talk,hold,conference,refer,check-sync",
  "Supported: replaces",
  `Content-Length: ${Buffer.byteLength(OFFER)}`,
  "",
  OFFER,
]);

export const OK = crlf([
  "SIP/2.0 200 OK",
  "Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK-centrex-8b1f2d;rport=5060",
  "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1496183389;rport=5062;received=127.0.0.1",
  "Record-Route: <sip:127.0.0.2:5060;lr>",
  'From: "Reception" <sip:201@127.0.0.2:5060>;tag=1380357282',
  "To: <sip:0142685300@127.0.0.2:5060>;tag=as4f3c2b1a",
  "Call-ID: 1927196727@127.0.0.1",
  "CSeq: 2 INVITE",
  "Contact: <sip:202@127.0.0.3:5064>",
  "Server: Poly VVX 450 6.4.3",
  "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE",
  "Supported: replaces, timer",
  "Content-Type: application/sdp",
  `Content-Length: ${Buffer.byteLength(ANSWER)}`,
  "",
  ANSWER,
]);

export const REGISTER = crlf([
  "REGISTER sip:127.0.0.2:5060 SIP/2.0",
  "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK2019364118;rport",
  "From: <sip:201@127.0.0.2:5060>;tag=1219543839",
  "To: <sip:201@127.0.0.2:5060>",
  "Call-ID: 1453622393@127.0.0.1",
  "CSeq: 3 REGISTER",
  'Contact: <sip:201@127.0.0.1:5062>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-805ec0a1b2c3>"',
  'Authorization: Digest username="201", realm="centrex", nonce="5f2a1c0e9b8d7a6f", uri="sip:127.0.0.2:5060", response="9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"',
  "Max-Forwards: 70",
  "User-Agent: Yealink SIP-T46S 66.86.0.15",
  "Expires: 3600",
  "Allow: INVITE, INFO, PRACK, ACK, BYE, CANCEL, OPTIONS, NOTIFY, REGISTER, SUBSCRIBE, REFER, PUBLISH, UPDATE, MESSAGE",
  "Content-Length: 0",
  "",
  "",
]);

export const BYE = crlf([
  "BYE sip:202@127.0.0.3:5064 SIP/2.0",
  "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK704372458;rport",
  "Route: <sip:127.0.0.2:5060;lr>",
  'From: "Reception" <sip:201@127.0.0.2:5060>;tag=1380357282',
  "To: <sip:0142685300@127.0.0.2:5060>;tag=as4f3c2b1a",
  "Call-ID: 1927196727@127.0.0.1",
  "CSeq: 3 BYE",
  "Max-Forwards: 70",
  "User-Agent: Yealink SIP-T46S 66.86.0.15",
  "Content-Length: 0",
  "",
  "",
]);

export const CORPUS: readonly Buffer[] = [INVITE, OK, REGISTER, BYE];
