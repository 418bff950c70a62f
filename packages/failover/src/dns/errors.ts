/** Base class of every error raised by the DNS side of failover. */
export class FailoverDnsError extends Error {
  override name = "FailoverDnsError";
}

/** The record-set input is inconsistent (bad name, missing address, name outside the zone…). */
export class InvalidDnsConfigError extends FailoverDnsError {
  override name = "InvalidDnsConfigError";
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** RCODE names as in the IANA registry, indexed by value (0..23 cover everything a server sends). */
export const RCODE_NAMES: readonly string[] = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
  "DSOTYPENI",
  "RCODE12",
  "RCODE13",
  "RCODE14",
  "RCODE15",
  "BADSIG",
  "BADKEY",
  "BADTIME",
  "BADMODE",
  "BADNAME",
  "BADALG",
  "BADTRUNC",
  "BADCOOKIE",
];

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

/**
 * The server answered the UPDATE with a non-zero RCODE. `rcode` is the numeric value, `rcodeName` its
 * mnemonic; `tsigError` carries the TSIG error field (BADKEY, BADSIG, BADTIME) when the server put one.
 */
export class DnsUpdateRcodeError extends FailoverDnsError {
  override name = "DnsUpdateRcodeError";
  readonly rcodeName: string;
  constructor(
    readonly rcode: number,
    readonly tsigError: number = 0,
  ) {
    const tsigPart = tsigError !== 0 ? ` (TSIG error ${rcodeName(tsigError)})` : "";
    super(`DNS UPDATE failed with rcode ${rcodeName(rcode)}${tsigPart}`);
    this.rcodeName = rcodeName(rcode);
  }
}

/** NOTAUTH: the server is not authoritative for the zone, or (RFC 8945) the TSIG key/signature was refused. */
export class DnsUpdateNotAuthError extends DnsUpdateRcodeError {
  override name = "DnsUpdateNotAuthError";
}

/** REFUSED: policy (ACL) forbids this update. */
export class DnsUpdateRefusedError extends DnsUpdateRcodeError {
  override name = "DnsUpdateRefusedError";
}

/** The response's TSIG was missing or did not verify: the answer cannot be trusted. */
export class TsigVerificationError extends FailoverDnsError {
  override name = "TsigVerificationError";
}

/** No usable answer from the server in time (after all retries). */
export class DnsTimeoutError extends FailoverDnsError {
  override name = "DnsTimeoutError";
}

/** The server's reply does not parse or does not match the request. */
export class DnsProtocolError extends FailoverDnsError {
  override name = "DnsProtocolError";
}

export function updateErrorFor(rcode: number, tsigError: number): DnsUpdateRcodeError {
  if (rcode === 9) return new DnsUpdateNotAuthError(rcode, tsigError);
  if (rcode === 5) return new DnsUpdateRefusedError(rcode, tsigError);
  return new DnsUpdateRcodeError(rcode, tsigError);
}
