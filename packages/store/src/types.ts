/**
 * The data model. Plain data objects, the same for every backend. Ids are integers allocated
 * by the backend; times are epoch milliseconds unless the field name says otherwise.
 */

export type CustomerStatus = "active" | "suspended" | "terminated";

export interface Customer {
  readonly id: number;
  readonly name: string;
  /** SIP domain, lower-case; also the digest realm of the customer's extensions. */
  readonly domain: string;
  /** Contract state: `suspended` (e.g. non-payment, CG art. 17) stops all service. */
  readonly status: CustomerStatus;
  readonly createdAt: number;
}

export interface NewCustomer {
  name: string;
  domain: string;
  status?: CustomerStatus;
}

export interface CustomerPatch {
  name?: string;
  status?: CustomerStatus;
}

export interface Extension {
  readonly id: number;
  readonly customerId: number;
  /** Internal number, 2–6 digits, unique within the customer (shared with ring groups). */
  readonly number: string;
  readonly displayName: string;
  readonly enabled: boolean;
  /** Whether a password (HA1 pair) is set; the HA1s themselves are only in `ExtensionCredentials`. */
  readonly hasPassword: boolean;
  readonly createdAt: number;
}

export interface NewExtension {
  customerId: number;
  number: string;
  displayName?: string;
  enabled?: boolean;
  /** Optional initial password; only its HA1s are stored. */
  password?: string;
}

export interface ExtensionPatch {
  displayName?: string;
  enabled?: boolean;
}

/**
 * What the registrar needs to check a digest response, fetched in one indexed lookup by
 * (domain, number). HA1 = H(username ":" realm ":" password), lower-case hex, with
 * username = extension number and realm = customer domain (RFC 2617 §3.2.2.2, RFC 7616 §3.4.2).
 */
export interface ExtensionCredentials {
  readonly extensionId: number;
  readonly customerId: number;
  readonly number: string;
  readonly realm: string;
  readonly enabled: boolean;
  readonly customerStatus: CustomerStatus;
  /** null when no password was ever set (or it was cleared by a domain change). */
  readonly ha1Md5: string | null;
  readonly ha1Sha256: string | null;
}

export type NumberTarget =
  | { readonly kind: "extension"; readonly id: number }
  | {
      readonly kind: "group";
      readonly id: number;
    };

/** A DID: an E.164 number the operator allocated to a customer. */
export interface PhoneNumber {
  readonly id: number;
  /** E.164 with leading "+", e.g. "+33123456789". */
  readonly e164: string;
  readonly customerId: number;
  /** Where inbound calls go; null = allocated but not routed yet. */
  readonly target: NumberTarget | null;
  /** The customer's main number ("standard"); at most one per customer. */
  readonly isMain: boolean;
  readonly createdAt: number;
}

export interface NewPhoneNumber {
  e164: string;
  customerId: number;
  target?: NumberTarget | null;
  isMain?: boolean;
}

/** All members' phones at once, or one member after the other in the group's order (hunt). */
export type RingStrategy = "simultaneous" | "sequential";

export interface RingGroup {
  readonly id: number;
  readonly customerId: number;
  /** Internal number, same namespace as the customer's extensions. */
  readonly number: string;
  readonly name: string;
  readonly strategy: RingStrategy;
  /** Extension ids, in the order given (the hunt order). */
  readonly members: readonly number[];
  /** Sequential: how long each member rings before the next (5–120 s). */
  readonly memberSeconds: number;
  /** How long the whole group rings before the overflow (5–600 s). */
  readonly timeoutSeconds: number;
  /**
   * Where an unanswered call goes: a number routed as if dialled (extension, group, national or
   * +E.164) or "voicemail:<extension>"; null = the caller gets 480.
   */
  readonly overflow: string | null;
  readonly createdAt: number;
}

export interface NewRingGroup {
  customerId: number;
  number: string;
  name: string;
  strategy?: RingStrategy;
  members?: readonly number[];
  memberSeconds?: number;
  timeoutSeconds?: number;
  overflow?: string | null;
}

export interface RingGroupPatch {
  name?: string;
  members?: readonly number[];
  strategy?: RingStrategy;
  memberSeconds?: number;
  timeoutSeconds?: number;
  overflow?: string | null;
}

export type BindingTransport = "udp" | "tcp" | "tls" | "ws" | "wss";

/** A registrar location binding (RFC 3261 §10.3), kept in the store so a restart keeps registrations. */
export interface BindingInput {
  /** The address-of-record: the extension id. */
  aor: number;
  /** Contact URI as registered. Bindings are keyed by (aor, contact). */
  contact: string;
  /** 0..1; 1 when the Contact had no q parameter. */
  q?: number;
  expiresAt: number;
  callId: string;
  cseq: number;
  /** Where the REGISTER came from (after NAT): the address to send requests to. */
  transport: BindingTransport;
  sourceAddress: string;
  sourcePort: number;
  /** Our socket that received it, so requests leave by the same flow. */
  localAddress?: string | null;
  localPort?: number | null;
  /** Connection-oriented transports: the id of the connection to reuse. */
  connectionId?: string | null;
  /** RFC 5626 +sip.instance and reg-id; when both are set they identify the flow (see upsert). */
  instanceId?: string | null;
  regId?: number | null;
  userAgent?: string | null;
  /** Path header values (RFC 3327), in order. */
  path?: readonly string[];
}

export interface Binding {
  readonly id: number;
  readonly aor: number;
  readonly contact: string;
  readonly q: number;
  readonly expiresAt: number;
  readonly callId: string;
  readonly cseq: number;
  readonly transport: BindingTransport;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly localAddress: string | null;
  readonly localPort: number | null;
  readonly connectionId: string | null;
  readonly instanceId: string | null;
  readonly regId: number | null;
  readonly userAgent: string | null;
  readonly path: readonly string[];
  readonly updatedAt: number;
}

export type CarrierTransport = "udp" | "tcp" | "tls";
/** How the carrier wants numbers: "+33123456789" (e164) or "0123456789" (national). */
export type NumberFormat = "e164" | "national";

export interface Carrier {
  readonly id: number;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly transport: CarrierTransport;
  readonly username: string | null;
  /**
   * Stored in clear (the file is created mode 0600): answering a carrier's digest challenge
   * needs H(user:realm:password) for the realm, algorithm (MD5, SHA-256) and qop the carrier
   * picks at challenge time, so a precomputed HA1 is not enough in general.
   */
  readonly password: string | null;
  readonly numberFormat: NumberFormat;
  /** Lower tries first (RFC 2782 style); weight shares load among equal priorities. */
  readonly priority: number;
  readonly weight: number;
  readonly enabled: boolean;
  /** The carrier requires an outbound REGISTER (it needs `username` and `password`). */
  readonly register: boolean;
  readonly createdAt: number;
}

/** How one node sees a carrier: in rotation or demoted, why and since when. */
export interface CarrierHealth {
  readonly carrierId: number;
  readonly node: string;
  readonly state: "up" | "demoted";
  readonly reason: string | null;
  readonly since: number;
  /** The outbound registration's state, null when the carrier is not registered to. */
  readonly registration: string | null;
  readonly updatedAt: number;
}

export type CarrierHealthInput = Omit<CarrierHealth, "updatedAt">;

export interface NewCarrier {
  name: string;
  host: string;
  port?: number;
  transport?: CarrierTransport;
  username?: string | null;
  password?: string | null;
  numberFormat?: NumberFormat;
  priority?: number;
  weight?: number;
  enabled?: boolean;
  register?: boolean;
}

export type CarrierPatch = Partial<NewCarrier>;

/** A carrier accepts destinations starting with `prefix` (E.164 digits without "+"; "" = anything). */
export interface CarrierRoute {
  readonly id: number;
  readonly carrierId: number;
  readonly prefix: string;
  readonly createdAt: number;
}

/** One carrier able to take a destination, with the route that matched. */
export interface CarrierCandidate {
  readonly carrier: Carrier;
  readonly route: CarrierRoute;
}

/** Per-class barring override; class names belong to the dialplan package. */
export type BarringOverride = "allow" | "pin" | "deny";

/** PSTN access restriction after abnormal consumption (CG art. 13): internal calls keep working. */
export type PstnSuspension = "none" | "partial" | "total";

export interface CustomerPolicy {
  readonly customerId: number;
  /** Emergency routing (CS art. 7): null until the customer declares its location. */
  readonly emergencyDepartment: string | null;
  /** INSEE commune code (5 chars, e.g. "75056", "2A004"); its prefix is the department. */
  readonly emergencyCommune: string | null;
  /** Destination class → override of the default barring. */
  readonly barringOverrides: Readonly<Record<string, BarringOverride>>;
  readonly pstnSuspension: PstnSuspension;
  readonly pstnSuspensionReason: string | null;
  /** When the current PSTN suspension started (epoch ms); null when none. */
  readonly pstnSuspendedAt: number | null;
  /** When the current non-payment suspension (customer status "suspended") started; null when none. */
  readonly nonPaymentSince: number | null;
  readonly nonPaymentReason: string | null;
  /** E.164 number calls to the main number go to during an outage (CS art. 5). */
  readonly fallbackNumber: string | null;
  /** Telecom professionals: their own conditions, not eligible to unlimited offers. */
  readonly telecomProfessional: boolean;
  /** Delivery date of the first phones, "YYYY-MM-DD": subscription billing starts there. */
  readonly deliveryDate: string | null;
  readonly updatedAt: number;
}

export interface PolicyPatch {
  emergencyDepartment?: string | null;
  emergencyCommune?: string | null;
  barringOverrides?: Readonly<Record<string, BarringOverride>>;
  pstnSuspension?: PstnSuspension;
  pstnSuspensionReason?: string | null;
  pstnSuspendedAt?: number | null;
  nonPaymentSince?: number | null;
  nonPaymentReason?: string | null;
  fallbackNumber?: string | null;
  telecomProfessional?: boolean;
  deliveryDate?: string | null;
}

/** A customer's PIN code (CG art. 11): the code itself is never readable, only verifiable. */
export interface Pin {
  readonly id: number;
  readonly customerId: number;
  readonly label: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface AuditEntryInput {
  /** Who: an operator login, "cli:<user>", "api:<token name>", "system". */
  actor: string;
  /** What, as a dotted verb: "extension.create", "policy.update"… */
  action: string;
  customerId?: number | null;
  detail?: unknown;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly customerId: number | null;
  readonly detail: unknown;
}

export interface AuditQuery {
  customerId?: number;
  /**
   * Entries naming this customer domain (`detail.customer`), whatever the customer's id: a
   * deleted customer's history, and its successor's of the same domain. Not indexed (a scan).
   */
  domain?: string;
  since?: number;
  limit?: number;
}

/** A key of a desk phone bound to an extension of the phone's customer. */
export interface PhoneKey {
  readonly extensionId: number;
  readonly number: string;
}

/** A desk phone of the inventory (CS art. 3: the operator configures and ships them). */
export interface Phone {
  readonly id: number;
  readonly customerId: number;
  /** 12 lower-case hex digits, no separators. */
  readonly mac: string;
  /** The model name as the provisioning templates know it (e.g. "T46S"). */
  readonly model: string;
  /** Line keys: the accounts the phone registers, in key order (at least one). */
  readonly lines: readonly PhoneKey[];
  /** BLF keys: extensions whose state the phone watches, in key order. */
  readonly blf: readonly PhoneKey[];
  /** SHA-256 (hex) of the phone's provisioning password. */
  readonly credentialHash: string;
  readonly createdAt: number;
}

/** A SIP password to set on an extension together with its sealed copy for provisioning. */
export interface ProvisionedPassword {
  extensionId: number;
  password: string;
  /** The same password sealed with the provisioning key (opaque to the store). */
  sealed: string;
}

export interface NewPhone {
  customerId: number;
  mac: string;
  model: string;
  lines: readonly number[];
  blf?: readonly number[];
  credentialHash: string;
  /** Set in the same transaction as the phone is created: all or nothing. */
  passwords?: readonly ProvisionedPassword[];
}

/** A sealed SIP password and whether it still matches the extension's current HA1. */
export interface SealedSecret {
  readonly extensionId: number;
  readonly sealed: string;
  /** false when the extension's password was changed after sealing (extension passwd). */
  readonly current: boolean;
}

/** Where a forwarded call goes: a number as the extension would dial it, or its voicemail box. */
export type ForwardTarget = string;

/** Call forwarding and do-not-disturb of one extension (none set = calls ring its phones). */
export interface ExtensionFeatures {
  readonly extensionId: number;
  /** Every call goes there, the phones do not ring. */
  readonly forwardAlways: ForwardTarget | null;
  /** When every phone answers busy (or do-not-disturb is on). */
  readonly forwardBusy: ForwardTarget | null;
  /** When nobody answers within `noAnswerSeconds`. */
  readonly forwardNoAnswer: ForwardTarget | null;
  readonly noAnswerSeconds: number;
  /** When no phone is registered or none can be reached. */
  readonly forwardUnreachable: ForwardTarget | null;
  /** Do not disturb: calls are answered busy (486) or follow the busy forwarding. */
  readonly dnd: boolean;
}

/** A change to an extension's features; `null` clears a forwarding. */
export interface ExtensionFeaturesPatch {
  forwardAlways?: ForwardTarget | null;
  forwardBusy?: ForwardTarget | null;
  forwardNoAnswer?: ForwardTarget | null;
  noAnswerSeconds?: number;
  forwardUnreachable?: ForwardTarget | null;
  dnd?: boolean;
}
