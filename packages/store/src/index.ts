/**
 * @centrex/store — the data model and its persistence.
 *
 * Why every repository method returns a Promise, even on the hot path:
 * the contracts below must hold for PostgreSQL too (several nodes), whose driver is async.
 * A `T | Promise<T>` return would force every caller to handle both shapes and would let
 * code written against SQLite silently break against PostgreSQL. One `await` per SIP request
 * (credential lookup on REGISTER/INVITE, location lookup per call) costs a microtask, noise
 * next to parsing the message and hashing the digest; it is per request, never per packet.
 * The SQLite backend does its work synchronously inside the call through prepared statements
 * and indexed lookups, so the promise it returns is already settled, and a write is on disk
 * (WAL, synchronous=FULL) before the promise even exists.
 *
 * No tenant data is cached in memory: an indexed SQLite read costs about as much as checking
 * a cache's validity (`PRAGMA data_version`), and without a cache a change made by the CLI in
 * another process is seen by the running server on its next lookup, with nothing to invalidate.
 */

export {
  ConflictError,
  NotFoundError,
  SchemaVersionError,
  StoreError,
  ValidationError,
} from "./errors.js";
export type { Migration } from "./migrations.js";
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from "./migrations.js";
export { HashedPin } from "./pin-hash.js";
export type {
  AuditLog,
  CarrierRepository,
  CdrChainMark,
  CdrCheckpoint,
  CdrDirection,
  CdrHour,
  CdrRecord,
  CdrRepository,
  CdrSearch,
  CustomerRepository,
  ExtensionFeatureRepository,
  ExtensionRepository,
  InvoiceRepository,
  LocationRepository,
  NewStoredInvoice,
  NumberRepository,
  OpenCall,
  PhoneRepository,
  PinRepository,
  PolicyRepository,
  RingGroupRepository,
  Store,
  StoredInvoice,
} from "./repositories.js";
export type { ChangeCheck } from "./sqlite/change-feed.js";
export type { SqliteDatabase, SqliteStoreOptions } from "./sqlite/open.js";
export { openSqliteStore, sqliteHandle } from "./sqlite/open.js";
export type {
  AuditEntry,
  AuditEntryInput,
  AuditQuery,
  BarringOverride,
  Binding,
  BindingInput,
  BindingTransport,
  Carrier,
  CarrierCandidate,
  CarrierHealth,
  CarrierHealthInput,
  CarrierPatch,
  CarrierRoute,
  CarrierTransport,
  Customer,
  CustomerPatch,
  CustomerPolicy,
  CustomerStatus,
  Extension,
  ExtensionCredentials,
  ExtensionFeatures,
  ExtensionFeaturesPatch,
  ExtensionPatch,
  ForwardTarget,
  NewCarrier,
  NewCustomer,
  NewExtension,
  NewPhone,
  NewPhoneNumber,
  NewRingGroup,
  NumberFormat,
  NumberTarget,
  Phone,
  PhoneKey,
  PhoneNumber,
  Pin,
  PolicyPatch,
  ProvisionedPassword,
  PstnSuspension,
  RingGroup,
  RingGroupPatch,
  RingStrategy,
  SealedSecret,
} from "./types.js";
export {
  checkDomain,
  checkE164,
  checkInternalNumber,
  checkMac,
  checkPin,
  MIN_PASSWORD_LENGTH,
} from "./validate.js";
