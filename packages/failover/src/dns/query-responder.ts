import { isInZone } from "./names.js";
import { CLASS, OPCODE, RCODE, TYPE, WireFormatError, WireReader, WireWriter } from "./wire.js";
import type { ZoneSnapshot } from "./zone.js";
import { writeRecord, type ZoneRecord } from "./zone-records.js";

/** UDP payload size we advertise and accept at most (the DNS flag day 2020 value). */
export const EDNS_PAYLOAD_SIZE = 1232;
const TCP_LIMIT = 65535;

const FLAG_QR = 0x8000;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;

interface ParsedQuery {
  id: number;
  flags: number;
  opcode: number;
  /** Raw question bytes, echoed verbatim so the client sees its own case (0x20 randomisation). */
  question: Buffer | undefined;
  qname: string;
  qtype: number;
  qclass: number;
  edns: boolean;
  ednsVersion: number;
  udpPayload: number;
  formErr: boolean;
}

interface Sections {
  rcode: number;
  aa: boolean;
  answers: readonly ZoneRecord[];
  authority: readonly ZoneRecord[];
  additional: readonly ZoneRecord[];
}

const EMPTY: readonly ZoneRecord[] = [];

/**
 * Turns one query message into one response message for a zone snapshot. Never throws on bad input:
 * malformed queries get FORMERR, and inputs too short to carry an ID (or that are responses) get nothing.
 * One instance per server; not re-entrant (it reuses a single write buffer), which is fine on one thread.
 */
export class QueryResponder {
  private readonly w = new WireWriter(1024);

  /** Returns the response, or undefined when the message must be dropped. */
  respond(msg: Buffer, zone: ZoneSnapshot, overTcp: boolean): Buffer | undefined {
    if (msg.length < 12) return undefined;
    const q = parseQuery(msg);
    if ((q.flags & FLAG_QR) !== 0) return undefined;
    let sections: Sections;
    if (q.formErr) sections = negative(RCODE.FORMERR, false);
    else if (q.opcode !== OPCODE.QUERY) sections = negative(RCODE.NOTIMP, false);
    else if (q.edns && q.ednsVersion > 0) sections = negative(RCODE.BADVERS, false);
    else sections = lookup(q, zone);
    const limit = overTcp
      ? TCP_LIMIT
      : q.edns
        ? Math.min(Math.max(q.udpPayload, 512), EDNS_PAYLOAD_SIZE)
        : 512;
    const full = this.encode(q, sections, true, false);
    if (full <= limit) return this.w.toBuffer();
    // Additional data is optional: dropping it does not call for TC (RFC 2181 §9).
    const noAdditional = this.encode(q, sections, false, false);
    if (noAdditional <= limit) return this.w.toBuffer();
    this.encode(q, sections, false, true);
    return this.w.toBuffer();
  }

  private encode(q: ParsedQuery, s: Sections, withAdditional: boolean, truncated: boolean): number {
    const w = this.w;
    w.reset();
    const answers = truncated ? EMPTY : s.answers;
    const authority = truncated ? EMPTY : s.authority;
    const additional = withAdditional ? s.additional : EMPTY;
    let flags = FLAG_QR | (q.opcode << 11) | (q.flags & FLAG_RD) | (s.rcode & 0xf);
    if (s.aa) flags |= FLAG_AA;
    if (truncated) flags |= FLAG_TC;
    w.u16(q.id);
    w.u16(flags);
    w.u16(q.question === undefined ? 0 : 1);
    w.u16(answers.length);
    w.u16(authority.length);
    w.u16(additional.length + (q.edns ? 1 : 0));
    if (q.question !== undefined) {
      w.bytes(q.question);
      // Later names may point into the echoed question (the case of its bytes does not matter).
      w.registerName(q.qname, 12, q.question.length - 4);
    }
    for (const r of answers) writeRecord(w, r);
    for (const r of authority) writeRecord(w, r);
    for (const r of additional) writeRecord(w, r);
    if (q.edns) {
      w.u8(0);
      w.u16(TYPE.OPT);
      w.u16(EDNS_PAYLOAD_SIZE);
      w.u32(((s.rcode >> 4) & 0xff) << 24);
      w.u16(0);
    }
    return w.off;
  }
}

function negative(rcode: number, aa: boolean, soa?: ZoneRecord): Sections {
  return { rcode, aa, answers: EMPTY, authority: soa === undefined ? EMPTY : [soa], additional: EMPTY };
}

function parseQuery(msg: Buffer): ParsedQuery {
  const q: ParsedQuery = {
    id: msg.readUInt16BE(0),
    flags: msg.readUInt16BE(2),
    opcode: (msg.readUInt16BE(2) >> 11) & 0xf,
    question: undefined,
    qname: "",
    qtype: 0,
    qclass: 0,
    edns: false,
    ednsVersion: 0,
    udpPayload: 512,
    formErr: false,
  };
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  if (qd !== 1) {
    // NOTIMP for other opcodes takes precedence over a question count we do not understand.
    q.formErr = q.opcode === OPCODE.QUERY;
    return q;
  }
  const r = new WireReader(msg);
  r.off = 12;
  try {
    q.qname = r.name();
    q.qtype = r.u16();
    q.qclass = r.u16();
    q.question = msg.subarray(12, r.off);
    for (let i = 0; i < an + ns; i++) skipRecord(r);
    for (let i = 0; i < ar; i++) {
      const owner = r.name();
      const type = r.u16();
      const klass = r.u16();
      const ttl = r.u32();
      const rdlen = r.u16();
      r.bytes(rdlen);
      if (type !== TYPE.OPT) continue;
      if (q.edns || owner !== "") {
        q.formErr = true; // RFC 6891 §6.1.1: more than one OPT, or not at the root
        return q;
      }
      q.edns = true;
      q.udpPayload = klass;
      q.ednsVersion = (ttl >>> 16) & 0xff;
    }
  } catch (err) {
    if (!(err instanceof WireFormatError)) throw err;
    q.formErr = true;
    q.question = undefined;
    q.edns = false;
  }
  if (q.qtype === TYPE.OPT || q.qtype === TYPE.TSIG || q.qtype === TYPE.TKEY) q.formErr = true;
  return q;
}

function skipRecord(r: WireReader): void {
  r.skipName();
  r.u16();
  r.u16();
  r.u32();
  r.bytes(r.u16());
}

function lookup(q: ParsedQuery, zone: ZoneSnapshot): Sections {
  if (q.qclass !== CLASS.IN && q.qclass !== CLASS.ANY) return negative(RCODE.REFUSED, false);
  if (!isInZone(q.qname, zone.zone)) return negative(RCODE.REFUSED, false);
  if (q.qtype === TYPE.AXFR || q.qtype === TYPE.IXFR) return negative(RCODE.REFUSED, false);
  const soa = zone.soa;
  const negSoa: ZoneRecord = { ...soa, ttl: Math.min(soa.ttl, soa.data.minimum) };
  if (!zone.exists(q.qname)) return negative(RCODE.NXDOMAIN, true, negSoa);
  let answers: ZoneRecord[] = [];
  if (q.qtype === TYPE.ANY) {
    const node = zone.node(q.qname);
    if (node !== undefined) for (const set of node.values()) answers.push(...set);
  } else {
    const set = zone.rrset(q.qname, q.qtype);
    if (set !== undefined) answers = set.slice();
  }
  if (answers.length === 0) return negative(RCODE.NOERROR, true, negSoa);
  return {
    rcode: RCODE.NOERROR,
    aa: true,
    answers,
    authority: EMPTY,
    additional: additionalFor(answers, zone),
  };
}

/** RFC 2782 / RFC 3403 / RFC 1035 additional-section processing for SRV, NAPTR and NS answers. */
function additionalFor(answers: readonly ZoneRecord[], zone: ZoneSnapshot): ZoneRecord[] {
  const out: ZoneRecord[] = [];
  const done = new Set<string>();
  for (const r of answers) done.add(`${r.name}/${r.type}`);
  const addSet = (name: string, type: number, key: string): readonly ZoneRecord[] => {
    if (done.has(`${name}/${key}`)) return EMPTY;
    done.add(`${name}/${key}`);
    const set = zone.rrset(name, type);
    if (set === undefined) return EMPTY;
    out.push(...set);
    return set;
  };
  const addAddresses = (name: string): void => {
    addSet(name, TYPE.A, "A");
    addSet(name, TYPE.AAAA, "AAAA");
  };
  for (const r of answers) {
    if (r.type === "SRV") addAddresses(r.data.target);
    else if (r.type === "NS") addAddresses(r.data);
    else if (r.type === "NAPTR" && r.data.flags.toLowerCase() === "s") {
      for (const srv of addSet(r.data.replacement, TYPE.SRV, "SRV")) {
        if (srv.type === "SRV") addAddresses(srv.data.target);
      }
    }
  }
  return out;
}
