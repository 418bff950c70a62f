import type { HashedPin } from "./pin-hash.js";
import type {
  AuditEntry,
  AuditEntryInput,
  AuditQuery,
  Binding,
  BindingInput,
  Carrier,
  CarrierCandidate,
  CarrierHealth,
  CarrierHealthInput,
  CarrierPatch,
  CarrierRoute,
  Customer,
  CustomerPatch,
  CustomerPolicy,
  Extension,
  ExtensionCredentials,
  ExtensionFeatures,
  ExtensionFeaturesPatch,
  ExtensionPatch,
  NewCarrier,
  NewCustomer,
  NewExtension,
  NewPhone,
  NewPhoneNumber,
  NewRingGroup,
  NumberTarget,
  Phone,
  PhoneNumber,
  Pin,
  PolicyPatch,
  ProvisionedPassword,
  RingGroup,
  RingGroupPatch,
  SealedSecret,
} from "./types.js";

/*
 * Repository contracts, identical for every backend. Lookups by id (`get`) reject with
 * NotFoundError; lookups by natural key (`find…`) resolve to undefined when absent, because
 * "not there" is an ordinary answer on the call path. Writes reject with ValidationError or
 * ConflictError naming the field. A resolved write is durable (see the backend's notes).
 */

export interface CustomerRepository {
  create(input: NewCustomer): Promise<Customer>;
  get(id: number): Promise<Customer>;
  findByDomain(domain: string): Promise<Customer | undefined>;
  list(): Promise<Customer[]>;
  update(id: number, patch: CustomerPatch): Promise<Customer>;
  /**
   * Renames the SIP domain. The domain is the digest realm, so every stored HA1 becomes
   * useless: the change is refused with ConflictError("domain") while any extension has a
   * password, unless `clearCredentials` is set, which clears all the customer's HA1s in the
   * same transaction (each extension then needs `setPassword` before it can register).
   */
  changeDomain(id: number, domain: string, opts?: { clearCredentials?: boolean }): Promise<Customer>;
  /** Deletes the customer and everything it owns (extensions, numbers, groups, PINs, policy, bindings). */
  delete(id: number): Promise<void>;
}

export interface ExtensionRepository {
  create(input: NewExtension): Promise<Extension>;
  get(id: number): Promise<Extension>;
  find(customerId: number, number: string): Promise<Extension | undefined>;
  listByCustomer(customerId: number): Promise<Extension[]>;
  /** Extensions of the customer (the subscription counts phones: `PhoneRepository.countByCustomer`). */
  countByCustomer(customerId: number): Promise<number>;
  update(id: number, patch: ExtensionPatch): Promise<Extension>;
  /** Stores HA1 (MD5 and SHA-256) of `number:domain:password`; the password itself is not kept. */
  setPassword(id: number, password: string): Promise<void>;
  /**
   * Hot path (every REGISTER and INVITE challenge): served from memory, dropped on any change to
   * an extension or customer row, by this process or another (the CLI), before the next lookup.
   */
  findCredentials(domain: string, number: string): Promise<ExtensionCredentials | undefined>;
  delete(id: number): Promise<void>;
}

export interface NumberRepository {
  create(input: NewPhoneNumber): Promise<PhoneNumber>;
  get(id: number): Promise<PhoneNumber>;
  /** Hot path (every inbound PSTN call). */
  findByE164(e164: string): Promise<PhoneNumber | undefined>;
  listByCustomer(customerId: number): Promise<PhoneNumber[]>;
  setTarget(id: number, target: NumberTarget | null): Promise<PhoneNumber>;
  /** Makes this number the customer's main number, unmarking the previous one atomically. */
  setMain(id: number): Promise<PhoneNumber>;
  findMain(customerId: number): Promise<PhoneNumber | undefined>;
  delete(id: number): Promise<void>;
}

export interface RingGroupRepository {
  create(input: NewRingGroup): Promise<RingGroup>;
  get(id: number): Promise<RingGroup>;
  find(customerId: number, number: string): Promise<RingGroup | undefined>;
  listByCustomer(customerId: number): Promise<RingGroup[]>;
  update(id: number, patch: RingGroupPatch): Promise<RingGroup>;
  delete(id: number): Promise<void>;
}

/** Call forwarding and do-not-disturb, per extension. Hot path: one lookup per call to an extension. */
export interface ExtensionFeatureRepository {
  /** The extension's features (all off when never set); NotFoundError for an unknown extension. */
  get(extensionId: number): Promise<ExtensionFeatures>;
  update(extensionId: number, patch: ExtensionFeaturesPatch): Promise<ExtensionFeatures>;
}

export interface LocationRepository {
  /**
   * Inserts or refreshes the binding keyed by (aor, contact). When `instanceId` and `regId`
   * are both set (RFC 5626 outbound), a binding of the same aor with the same pair but another
   * contact is replaced: a phone that re-registers through a new NAT mapping keeps one flow.
   *
   * Durability: a new binding, or one whose flow (Call-ID, source, transport, q, instance…)
   * changed, is committed before the promise resolves. A refresh that only moves the expiry
   * and CSeq of an existing binding resolves at once and is written behind, batched within a
   * fraction of a second (a crash before that leaves the previous expiry).
   */
  upsert(input: BindingInput): Promise<Binding>;
  get(aor: number, contact: string): Promise<Binding | undefined>;
  /** Removes one binding; resolves to whether it existed. */
  remove(aor: number, contact: string): Promise<boolean>;
  /** Removes all bindings of an aor (REGISTER with `Contact: *`); resolves to the removed rows. */
  removeAll(aor: number): Promise<Binding[]>;
  /** Bindings not expired at `now`, highest q first. Hot path (every call to an extension): from memory. */
  current(aor: number, now: number): Promise<Binding[]>;
  /** Deletes every binding expired at `now` (expiresAt <= now) and returns them: one periodic sweep. */
  purgeExpired(now: number): Promise<Binding[]>;
  count(aor: number, now: number): Promise<number>;
  countAll(now: number): Promise<number>;
  /**
   * Current bindings of every AOR, ordered by id, after `afterId`, at most `limit`: the NAT
   * keepalive walks the whole table in pages without holding it in memory.
   */
  page(now: number, afterId: number, limit: number): Promise<Binding[]>;
}

export interface CarrierRepository {
  create(input: NewCarrier): Promise<Carrier>;
  get(id: number): Promise<Carrier>;
  findByName(name: string): Promise<Carrier | undefined>;
  list(): Promise<Carrier[]>;
  update(id: number, patch: CarrierPatch): Promise<Carrier>;
  delete(id: number): Promise<void>;
  addRoute(carrierId: number, prefix: string): Promise<CarrierRoute>;
  removeRoute(routeId: number): Promise<void>;
  listRoutes(carrierId: number): Promise<CarrierRoute[]>;
  /**
   * Enabled carriers with a route whose prefix starts `e164` (with or without "+"), longest
   * prefix first, then priority ascending, then weight descending. The trunk picks among them.
   */
  candidatesFor(e164: string): Promise<CarrierCandidate[]>;
  /** Records how a node sees a carrier (the running switch, on each change). */
  setHealth(input: CarrierHealthInput): Promise<void>;
  /** Every node's view of every carrier. */
  health(): Promise<CarrierHealth[]>;
}

export interface PolicyRepository {
  /** The customer's policy; defaults (nothing declared, nothing suspended) until first updated. */
  get(customerId: number): Promise<CustomerPolicy>;
  update(customerId: number, patch: PolicyPatch): Promise<CustomerPolicy>;
}

export interface PinRepository {
  /** `pin` must be exactly 4 digits; only a salted scrypt hash is stored. */
  create(customerId: number, label: string, pin: string | HashedPin): Promise<Pin>;
  change(id: number, pin: string | HashedPin): Promise<Pin>;
  /** Hashes a code (scrypt, off the event loop) for a later `create`/`change` inside a transaction. */
  hash(pin: string): Promise<HashedPin>;
  list(customerId: number): Promise<Pin[]>;
  delete(id: number): Promise<void>;
  /** The customer's PIN matching `pin`, or undefined. Runs scrypt off the event loop. */
  verify(customerId: number, pin: string): Promise<Pin | undefined>;
}

export interface PhoneRepository {
  /**
   * Adds a phone with its keys (and `passwords`, set with their sealed copies) in one
   * transaction: ConflictError("mac") when the MAC is in the inventory already,
   * ValidationError("extension") when a key names another customer's extension.
   */
  create(input: NewPhone): Promise<Phone>;
  get(id: number): Promise<Phone>;
  /** `mac` in any separator style; undefined when absent or malformed. */
  findByMac(mac: string): Promise<Phone | undefined>;
  listByCustomer(customerId: number): Promise<Phone[]>;
  /** Phones with at least one line key: what the monthly subscription counts (CG art. 7). */
  countByCustomer(customerId: number): Promise<number>;
  /** Replaces the phone's keys (moving it to other extensions), passwords in the same transaction. */
  setKeys(
    id: number,
    keys: { lines: readonly number[]; blf?: readonly number[] },
    passwords?: readonly ProvisionedPassword[],
  ): Promise<Phone>;
  setCredentialHash(id: number, credentialHash: string): Promise<void>;
  delete(id: number): Promise<void>;
  /** The sealed SIP password of an extension, if one was set through provisioning. */
  sealedSecret(extensionId: number): Promise<SealedSecret | undefined>;
}

export interface AuditLog {
  append(entry: AuditEntryInput): Promise<AuditEntry>;
  /** Newest first. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
}

export interface Store {
  readonly customers: CustomerRepository;
  readonly extensions: ExtensionRepository;
  readonly numbers: NumberRepository;
  readonly ringGroups: RingGroupRepository;
  readonly features: ExtensionFeatureRepository;
  readonly locations: LocationRepository;
  readonly carriers: CarrierRepository;
  readonly policies: PolicyRepository;
  readonly pins: PinRepository;
  readonly phones: PhoneRepository;
  readonly audit: AuditLog;
  readonly cdrs: CdrRepository;
  readonly invoices: InvoiceRepository;
  /** Schema version of the opened database (after migrations). */
  readonly schemaVersion: number;
  /**
   * Runs `fn` as one transaction: every write it makes through `tx` commits together,
   * or none does if it throws (an operator's change and its audit entry, several rows of one
   * change). `fn` may wait on `tx`'s calls only — nothing else (no PIN hashing: use
   * `pins.hash` first, no network): the SQLite backend's calls settle at once, so the
   * transaction holds the connection for less than one turn of the event loop and no other
   * request's write can land inside it. One that is still open when the event loop turns is
   * rolled back and rejects with StoreError. Transactions do not nest.
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/*
 * Call records (CG art. 12). The store keeps rows; sealing them (hash chain, signatures) is
 * the billing package's job, done inside the store's write transaction through `seal`.
 */

/** Direction of a call as seen from the customer named in the record. */
export type CdrDirection = "outbound" | "inbound" | "internal";

/** One call record as stored, with its place in its node's hash chain. */
export interface CdrRecord {
  readonly node: string;
  readonly seq: number;
  readonly customerId: number | null;
  readonly extension: string | null;
  readonly callId: string;
  readonly direction: CdrDirection;
  /** Calling number or extension, as presented. */
  readonly caller: string;
  /** The called number as dialled. */
  readonly dialled: string;
  /** The called number normalised (E.164, or the internal number); null when it could not be. */
  readonly called: string | null;
  /** A dialplan destination class, or internal / emergency / support / inbound / invalid. */
  readonly destinationClass: string;
  readonly carrier: string | null;
  readonly startedAt: number;
  readonly answeredAt: number | null;
  readonly endedAt: number;
  readonly billableMs: number;
  readonly disposition: string;
  readonly sipStatus: number | null;
  readonly reason: string | null;
  /**
   * The Call-ID of the call this one was transferred from (the transferee's new call after a
   * REFER); null or absent for any other call. Hashed only when set (canonical form cdr/2).
   */
  readonly transferredFrom?: string | null;
  readonly prevHash: string;
  readonly hash: string;
  readonly sig: string;
}

/** A signed mark on a node's chain: the head (last record) or a checkpoint. */
export interface CdrChainMark {
  readonly node: string;
  readonly seq: number;
  readonly hash: string;
  readonly sig: string;
  readonly at: number;
}

export interface CdrCheckpoint extends CdrChainMark {
  /** "purge": the chain before and at `seq` was purged; what remains links to `hash`. */
  readonly reason: string;
}

export interface OpenCall {
  readonly node: string;
  readonly callId: string;
  /** What the caller of markCallStarted wants back to close the call (JSON). */
  readonly data: unknown;
  readonly startedAt: number;
  readonly answeredAt: number | null;
}

/** A call-record search: a time range, and any of the filters (text filters match a part). */
export interface CdrSearch {
  readonly from: number;
  readonly to: number;
  readonly customerId?: number;
  /** Part of the caller (extension or number as presented). */
  readonly caller?: string;
  /** Part of what was dialled or of the called number. */
  readonly callee?: string;
  /** answered, busy, no-answer, cancelled, refused, failed, interrupted… exactly. */
  readonly disposition?: string;
  readonly limit: number;
}

export interface CdrHour {
  /** Epoch ms of the UTC hour's start. */
  readonly hour: number;
  readonly calls: number;
  readonly answered: number;
}

export interface CdrRepository {
  /**
   * Appends one record to `node`'s chain in one IMMEDIATE transaction: reads the head, calls
   * `seal(head)` (synchronously) for the complete row, inserts it, moves the head and forgets
   * the open call `row.callId` of that node. Resolves once the transaction is durable.
   */
  append(node: string, seal: (head: CdrChainMark | undefined) => CdrRecord): Promise<CdrRecord>;
  head(node: string): Promise<CdrChainMark | undefined>;
  nodes(): Promise<string[]>;
  /** Records of `node` with seq > afterSeq, in seq order, at most `limit`. */
  page(node: string, afterSeq: number, limit: number): Promise<CdrRecord[]>;
  /** A customer's records with from <= startedAt < to, in start order (all nodes). */
  byCustomer(customerId: number, from: number, to: number): Promise<CdrRecord[]>;
  /** Records of all customers with from <= startedAt < to. */
  between(from: number, to: number): Promise<CdrRecord[]>;
  /** Records with from <= startedAt < to matching every filter given, in start order, at most `limit`. */
  search(q: CdrSearch): Promise<CdrRecord[]>;
  /** Calls started per UTC hour with from <= startedAt < to (hours without calls left out). */
  hours(q: Omit<CdrSearch, "limit">): Promise<CdrHour[]>;
  checkpoints(node: string): Promise<CdrCheckpoint[]>;
  /**
   * Deletes `node`'s records with seq <= throughSeq and stores `anchor` (signed, reason
   * "purge", seq = throughSeq), in one transaction. Resolves to the number of records removed.
   */
  purge(node: string, throughSeq: number, anchor: Omit<CdrCheckpoint, "node">): Promise<number>;
  markCallStarted(node: string, callId: string, startedAt: number, data: unknown): Promise<void>;
  markCallAnswered(node: string, callId: string, answeredAt: number): Promise<void>;
  openCalls(node: string): Promise<OpenCall[]>;
}

export interface StoredInvoice {
  readonly id: number;
  readonly customerId: number;
  /** First day of the period, "YYYY-MM-DD". */
  readonly periodStart: string;
  /** Day after the period's last day, "YYYY-MM-DD". */
  readonly periodEnd: string;
  readonly issuedOn: string;
  readonly totalCents: number;
  readonly document: unknown;
  readonly paidAt: number | null;
  readonly createdAt: number;
}

export interface NewStoredInvoice {
  customerId: number;
  periodStart: string;
  periodEnd: string;
  issuedOn: string;
  totalCents: number;
  document: unknown;
}

export interface InvoiceRepository {
  /** ConflictError("periodStart") when the customer already has an invoice for that period. */
  create(input: NewStoredInvoice): Promise<StoredInvoice>;
  get(id: number): Promise<StoredInvoice>;
  listByCustomer(customerId: number): Promise<StoredInvoice[]>;
  /** The invoice whose period contains `day` ("YYYY-MM-DD"). */
  covering(customerId: number, day: string): Promise<StoredInvoice | undefined>;
  markPaid(id: number, at: number): Promise<StoredInvoice>;
  /** Fair use (CG art. 13): the operator confirmed withdrawing unlimited calls from `month` on. */
  withdrawUnlimited(customerId: number, month: string, actor: string): Promise<void>;
  /** The first month ("YYYY-MM") unlimited calls were withdrawn, if ever. */
  unlimitedWithdrawnSince(customerId: number): Promise<string | undefined>;
}
