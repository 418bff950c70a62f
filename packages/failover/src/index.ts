export type { ServiceAddressOptions } from "./address/service-address.js";
export { ServiceAddress, ServiceAddressError } from "./address/service-address.js";
export type { Cidr, HostInterface } from "./address/subnet.js";
export { interfaceForSubnet, parseCidr, sameSubnet } from "./address/subnet.js";
export type { BackupResult } from "./backup/backup.js";
export {
  BackupChecksumError,
  BackupError,
  backup,
  restore,
  sha256File,
  verifyBackup,
} from "./backup/backup.js";
export type { DailyBackupOptions, DailyBackups } from "./backup/schedule.js";
export { nextDailyRun, pruneBackups, scheduleDailyBackups } from "./backup/schedule.js";
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
export { PublishRetry } from "./dns/publish-retry.js";
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
  NodePorts,
  SrvData,
} from "./dns/records.js";
export { activeOf, computeFailoverRecords, DEFAULT_FAILOVER_TTL, managedRrsets } from "./dns/records.js";
export type { Rfc2136PublisherOptions } from "./dns/rfc2136-publisher.js";
export { Rfc2136Publisher } from "./dns/rfc2136-publisher.js";
export type { TsigAlgorithm, TsigKey } from "./dns/tsig.js";
export { DEFAULT_TSIG_FUDGE } from "./dns/tsig.js";
export type { NameServerSpec, SoaSettings } from "./dns/zone.js";
export type { HealthEndpoint, HealthEndpointOptions } from "./health/endpoint.js";
export { startHealthEndpoint } from "./health/endpoint.js";
export type { ForwardedRequest, HealthWorker, HealthWorkerOptions } from "./health/health-worker.js";
export { startHealthWorker } from "./health/health-worker.js";
export { httpHealthProbe, sipOptionsProbe } from "./health/probes.js";
export type { FailoverRole, HealthProbe, HealthStatus, ProbeResult } from "./health/types.js";
export type { BusinessWindow, CivilDate, HolidayOptions } from "./incident/calendar.js";
export {
  addBusinessMs,
  businessMsBetween,
  businessWindows,
  easterSunday,
  frenchPublicHolidays,
  isWorkingDay,
  parisInstant,
  parisQuarter,
  parisTime,
} from "./incident/calendar.js";
export type { Incident, IncidentAssessment, IncidentOrigin } from "./incident/incident.js";
export {
  assessIncident,
  compensationCap,
  IncidentError,
  incidentFromTakeover,
  incidentStart,
  REPAIR_COMMITMENT_MS,
} from "./incident/incident.js";
export {
  FencedError,
  ReplicationAuthError,
  ReplicationError,
  ReplicationProtocolError,
  ReplicationSchemaError,
} from "./replication/errors.js";
export { readEpoch, writeEpoch } from "./replication/meta.js";
export type { ReplicationSinkOptions, SinkLag } from "./replication/sink.js";
export { ReplicationSink } from "./replication/sink.js";
export type { ReplicationSourceOptions, SourceLag } from "./replication/source.js";
export { ReplicationSource } from "./replication/source.js";
export type {
  ControllerTimers,
  FailoverControllerOptions,
  FencedEvent,
  TakeoverEvent,
  TakeoverReason,
} from "./switch/controller.js";
export { FailoverController } from "./switch/controller.js";
export type { EpochStore } from "./switch/epoch-store.js";
export { memoryEpochStore, sqliteEpochStore } from "./switch/epoch-store.js";
export type { FailbackOptions, FailbackResult } from "./switch/failback.js";
export { failback } from "./switch/failback.js";
