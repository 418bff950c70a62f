/**
 * SIPp scenarios for calls, generated so each test states only what differs:
 * what the callee answers, who hangs up, whether the caller cancels, what
 * Contact the caller advertises (a "NAT" test puts an address there that its
 * packets do not come from — always a loopback one).
 */

const HEAD = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">`;

function msg(text: string): string {
  return `<![CDATA[\n${text
    .split("\n")
    .map((l) => `      ${l}`)
    .join("\n")}\n\n    ]]>`;
}

/** The G.711 offer/answer every generated scenario sends (SIPp fills in address and port). */
export const SDP = `v=0
o=sipp 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000`;

function invite(opts: {
  contact: string;
  auth: boolean;
  cseq: number;
  maxForwards: number;
  headers?: readonly string[];
}): string {
  return msg(`INVITE sip:[service]@[$domain] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[$caller]@[$domain]>;tag=[pid]call[call_number]
To: <sip:[service]@[$domain]>
Call-ID: [call_id]
CSeq: ${opts.cseq} INVITE
Contact: <sip:[$caller]@${opts.contact}>
Max-Forwards: ${opts.maxForwards}
${opts.auth ? "[authentication]\n" : ""}${(opts.headers ?? []).map((h) => `${h}\n`).join("")}Content-Type: application/sdp
Content-Length: [len]

${SDP}`);
}

function ackNon2xx(cseq: number): string {
  return msg(`ACK sip:[service]@[$domain] SIP/2.0
[last_Via:]
From: <sip:[$caller]@[$domain]>;tag=[pid]call[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: ${cseq} ACK
Max-Forwards: 70
Content-Length: 0`);
}

export interface CallerOptions {
  /** The final response expected to the authenticated INVITE. */
  expect?: number;
  /** Send CANCEL once 180 arrives (expect becomes 487). */
  cancelOnRinging?: boolean;
  /** Who ends an answered call: the caller sends BYE, or waits for the callee's. */
  hangup?: "caller" | "callee";
  /** host:port written in the caller's Contact; default its real socket. */
  contact?: string;
  /** Challenge expected first (407); false when the proxy refuses before authenticating. */
  challenged?: boolean;
  maxForwards?: number;
  /** Milliseconds the answered call lasts before the caller hangs up. */
  talkMs?: number;
  /** Text the final response's status line must contain (its reason phrase). */
  expectReason?: string;
  /** Extra header lines of the INVITE (e.g. `Supported: timer`). */
  headers?: readonly string[];
}

/** The calling phone. Run with -s CALLEE -au CALLER -ap PASSWORD -set domain D -set caller CALLER. */
export function callerScenario(o: CallerOptions = {}): string {
  const expect = o.cancelOnRinging ? 487 : (o.expect ?? 200);
  const contact = o.contact ?? "[local_ip]:[local_port]";
  const mf = o.maxForwards ?? 70;
  const parts: string[] = [`${HEAD}\n<scenario name="caller">`, `  <Global variables="domain,caller"/>`];
  let cseq = 1;
  if (o.challenged !== false) {
    parts.push(
      `  <send retrans="500">${invite({ contact, auth: false, cseq, maxForwards: mf, headers: o.headers ?? [] })}</send>`,
    );
    parts.push(`  <recv response="100" optional="true"/>`);
    parts.push(`  <recv response="407" auth="true"/>`);
    parts.push(`  <send>${ackNon2xx(cseq)}</send>`);
    cseq++;
  }
  parts.push(
    `  <send retrans="500">${invite({ contact, auth: o.challenged !== false, cseq, maxForwards: mf, headers: o.headers ?? [] })}</send>`,
  );
  if (expect !== 100) parts.push(`  <recv response="100" optional="true"/>`);
  if (o.cancelOnRinging) {
    parts.push(`  <recv response="180"/>`);
    parts.push(
      `  <send retrans="500">${msg(`CANCEL sip:[service]@[$domain] SIP/2.0
[last_Via:]
From: <sip:[$caller]@[$domain]>;tag=[pid]call[call_number]
To: <sip:[service]@[$domain]>
Call-ID: [call_id]
CSeq: ${cseq} CANCEL
Max-Forwards: 70
Content-Length: 0`)}</send>`,
    );
    parts.push(`  <recv response="200"/>`);
    parts.push(`  <recv response="487"/>`);
    parts.push(`  <send>${ackNon2xx(cseq)}</send>`);
  } else if (expect === 200) {
    parts.push(`  <recv response="180" optional="true"/>`);
    parts.push(`  <recv response="200" rrs="true">
    <action><ereg regexp="Record-Route: .*;lr" search_in="msg" check_it="true" assign_to="rr"/></action>
  </recv>`);
    parts.push(
      `  <send>${msg(`ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[$caller]@[$domain]>;tag=[pid]call[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: ${cseq} ACK
[routes]
Max-Forwards: 70
Content-Length: 0`)}</send>`,
    );
    if (o.hangup === "callee") {
      parts.push(`  <recv request="BYE"/>`);
      parts.push(
        `  <send>${msg(`SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0`)}</send>`,
      );
    } else {
      parts.push(`  <pause milliseconds="${o.talkMs ?? 300}"/>`);
      parts.push(
        `  <send retrans="500">${msg(`BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[$caller]@[$domain]>;tag=[pid]call[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: ${cseq + 1} BYE
[routes]
Max-Forwards: 70
Content-Length: 0`)}</send>`,
      );
      parts.push(`  <recv response="200"/>`);
    }
    parts.push(`  <Reference variables="rr"/>`);
  } else {
    parts.push(`  <recv response="180" optional="true"/>`);
    if (o.expectReason === undefined) parts.push(`  <recv response="${expect}"/>`);
    else {
      parts.push(`  <recv response="${expect}">
    <action><ereg regexp="^SIP/2.0 ${expect} ${o.expectReason}" search_in="msg" check_it="true" assign_to="reason"/></action>
  </recv>`);
      parts.push(`  <Reference variables="reason"/>`);
    }
    parts.push(`  <send>${ackNon2xx(cseq)}</send>`);
  }
  parts.push("</scenario>");
  return parts.join("\n");
}

export interface CalleeOptions {
  /** Final answer: 200 (answer), 486 (busy)... */
  answer?: number;
  /** After 180, wait for the caller's CANCEL instead of answering. */
  expectCancel?: boolean;
  hangup?: "caller" | "callee";
  talkMs?: number;
  /** Check the offer was rewritten to the relay: its m=audio port must match this regexp. */
  offerPort?: string;
  /** With expectCancel: a regexp the CANCEL must match (e.g. its RFC 3326 Reason). */
  cancelReason?: string;
  /** Ring this long (ms) after the 180 before answering. */
  ringMs?: number;
}

const RESPONSE_HEADERS = `[last_Via:]
[last_From:]
[last_To:];tag=[pid]callee[call_number]
[last_Call-ID:]
[last_CSeq:]`;

/** The called phone (a UAS scenario). Run on the port it registered from. */
export function calleeScenario(o: CalleeOptions = {}): string {
  const answer = o.answer ?? 200;
  const parts: string[] = [`${HEAD}\n<scenario name="callee">`];
  parts.push(`  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="local_to"/>
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="invite_cseq"/>${
        o.offerPort === undefined
          ? ""
          : `\n      <ereg regexp="m=audio ${o.offerPort} " search_in="body" check_it="true" assign_to="relay_port"/>`
      }
    </action>
  </recv>`);
  if (answer === 200 || o.expectCancel) {
    parts.push(
      `  <send>${msg(`SIP/2.0 180 Ringing\n${RESPONSE_HEADERS}\nContact: <sip:callee@[local_ip]:[local_port]>\nContent-Length: 0`)}</send>`,
    );
  }
  if (o.expectCancel) {
    parts.push(
      o.cancelReason === undefined
        ? `  <recv request="CANCEL"/>`
        : `  <recv request="CANCEL">
    <action><ereg regexp="${o.cancelReason.replaceAll('"', "&quot;")}" search_in="msg" check_it="true" assign_to="cancel_reason"/></action>
  </recv>`,
    );
    parts.push(
      `  <send>${msg(`SIP/2.0 200 OK\n[last_Via:]\n[last_From:]\n[last_To:]\n[last_Call-ID:]\n[last_CSeq:]\nContent-Length: 0`)}</send>`,
    );
    parts.push(
      `  <send>${msg(`SIP/2.0 487 Request Terminated\n[last_Via:]\n[last_From:]\n[last_To:];tag=[pid]callee[call_number]\n[last_Call-ID:]\nCSeq: [$invite_cseq] INVITE\nContent-Length: 0`)}</send>`,
    );
    parts.push(`  <recv request="ACK"/>`);
  } else if (answer === 200) {
    if (o.ringMs !== undefined) parts.push(`  <pause milliseconds="${o.ringMs}"/>`);
    parts.push(
      `  <send retrans="500">${msg(`SIP/2.0 200 OK
${RESPONSE_HEADERS}
[last_Record-Route:]
Contact: <sip:callee@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

${SDP}`)}</send>`,
    );
    parts.push(`  <recv request="ACK"/>`);
    if (o.hangup === "callee") {
      parts.push(`  <pause milliseconds="${o.talkMs ?? 300}"/>`);
      parts.push(
        `  <send retrans="500">${msg(`BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: [$local_to];tag=[pid]callee[call_number]
To: [$remote_from]
Call-ID: [call_id]
CSeq: 1 BYE
[routes]
Max-Forwards: 70
Content-Length: 0`)}</send>`,
      );
      parts.push(`  <recv response="200"/>`);
    } else {
      parts.push(`  <recv request="BYE"/>`);
      parts.push(
        `  <send>${msg(`SIP/2.0 200 OK\n[last_Via:]\n[last_From:]\n[last_To:]\n[last_Call-ID:]\n[last_CSeq:]\nContent-Length: 0`)}</send>`,
      );
    }
  } else {
    parts.push(
      `  <send>${msg(`SIP/2.0 ${answer} Busy Here\n${RESPONSE_HEADERS}\nContent-Length: 0`)}</send>`,
    );
    parts.push(`  <recv request="ACK"/>`);
  }
  parts.push(
    `  <Reference variables="remote_from,local_to,invite_cseq${o.offerPort === undefined ? "" : ",relay_port"}${o.cancelReason === undefined ? "" : ",cancel_reason"}"/>`,
  );
  parts.push("</scenario>");
  return parts.join("\n");
}
