import type { FailoverRecord } from "./records.js";
import { CLASS, TYPE, type WireWriter } from "./wire.js";

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** Any record the embedded server can serve: the failover set plus the apex SOA and NS it synthesises. */
export type ZoneRecord =
  | FailoverRecord
  | { name: string; type: "SOA"; ttl: number; data: SoaData }
  | { name: string; type: "NS"; ttl: number; data: string };

export type ZoneRecordType = ZoneRecord["type"];

export function typeCode(type: ZoneRecordType): number {
  return TYPE[type];
}

/** Writes RDATA only (no RDLENGTH). */
export function writeRdata(w: WireWriter, r: ZoneRecord): void {
  switch (r.type) {
    case "A":
      w.ipv4(r.data);
      return;
    case "AAAA":
      w.ipv6(r.data);
      return;
    case "NS":
      w.name(r.data, true);
      return;
    case "SOA":
      w.name(r.data.mname, true);
      w.name(r.data.rname, true);
      w.u32(r.data.serial);
      w.u32(r.data.refresh);
      w.u32(r.data.retry);
      w.u32(r.data.expire);
      w.u32(r.data.minimum);
      return;
    case "SRV":
      w.u16(r.data.priority);
      w.u16(r.data.weight);
      w.u16(r.data.port);
      w.name(r.data.target, false);
      return;
    case "NAPTR":
      w.u16(r.data.order);
      w.u16(r.data.preference);
      w.charString(r.data.flags);
      w.charString(r.data.services);
      w.charString(r.data.regexp);
      w.name(r.data.replacement, false);
      return;
  }
}

/** Writes a whole resource record of class IN. */
export function writeRecord(w: WireWriter, r: ZoneRecord): void {
  w.name(r.name, true);
  w.u16(typeCode(r.type));
  w.u16(CLASS.IN);
  w.u32(r.ttl);
  const at = w.beginLength();
  writeRdata(w, r);
  w.endLength(at);
}
