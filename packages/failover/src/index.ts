export type { DnsListenAddress, EmbeddedDnsServerOptions } from "./dns/embedded-server.js";
export { EmbeddedDnsServer } from "./dns/embedded-server.js";
export {
  DnsProtocolError,
  DnsTimeoutError,
  DnsUpdateNotAuthError,
  DnsUpdateRcodeError,
  DnsUpdateRefusedError,
  FailoverDnsError,
  InvalidDnsConfigError,
  rcodeName,
  TsigVerificationError,
} from "./dns/errors.js";
export type { DnsLogger } from "./dns/logger.js";
export type { FailoverDnsPublisher } from "./dns/publisher.js";
export type {
  ActiveAddresses,
  FailoverNode,
  FailoverRecord,
  FailoverRecordInput,
  FailoverRecordType,
  FailoverServiceConfig,
  ManagedRrset,
  NaptrData,
  SrvData,
} from "./dns/records.js";
export { activeOf, computeFailoverRecords, DEFAULT_FAILOVER_TTL, managedRrsets } from "./dns/records.js";
export type { Rfc2136PublisherOptions } from "./dns/rfc2136-publisher.js";
export { Rfc2136Publisher } from "./dns/rfc2136-publisher.js";
export type { TsigAlgorithm, TsigKey } from "./dns/tsig.js";
export { DEFAULT_TSIG_FUDGE } from "./dns/tsig.js";
export type { NameServerSpec, SoaSettings } from "./dns/zone.js";
