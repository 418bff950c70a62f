import type {
  AuditEntry,
  AuditEntryInput,
  AuditQuery,
  Binding,
  BindingInput,
  Carrier,
  CarrierCandidate,
  CarrierPatch,
  CarrierRoute,
  Customer,
  CustomerPatch,
  CustomerPolicy,
  Extension,
  ExtensionCredentials,
  ExtensionPatch,
  NewCarrier,
  NewCustomer,
  NewExtension,
  NewPhoneNumber,
  NewRingGroup,
  NumberTarget,
  PhoneNumber,
  Pin,
  PolicyPatch,
  RingGroup,
  RingGroupPatch,
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
  /** Extensions with an account: the basis of the monthly subscription (CG art. 7). */
  countByCustomer(customerId: number): Promise<number>;
  update(id: number, patch: ExtensionPatch): Promise<Extension>;
  /** Stores HA1 (MD5 and SHA-256) of `number:domain:password`; the password itself is not kept. */
  setPassword(id: number, password: string): Promise<void>;
  /** Hot path (every REGISTER and INVITE challenge): one indexed lookup, no cache. */
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

export interface LocationRepository {
  /**
   * Inserts or refreshes the binding keyed by (aor, contact). When `instanceId` and `regId`
   * are both set (RFC 5626 outbound), a binding of the same aor with the same pair but another
   * contact is replaced: a phone that re-registers through a new NAT mapping keeps one flow.
   */
  upsert(input: BindingInput): Promise<Binding>;
  get(aor: number, contact: string): Promise<Binding | undefined>;
  /** Removes one binding; resolves to whether it existed. */
  remove(aor: number, contact: string): Promise<boolean>;
  /** Removes all bindings of an aor (REGISTER with `Contact: *`); resolves to the removed rows. */
  removeAll(aor: number): Promise<Binding[]>;
  /** Bindings not expired at `now`, highest q first. Hot path (every call to an extension). */
  current(aor: number, now: number): Promise<Binding[]>;
  /** Deletes every binding expired at `now` (expiresAt <= now) and returns them: one periodic sweep. */
  purgeExpired(now: number): Promise<Binding[]>;
  count(aor: number, now: number): Promise<number>;
  countAll(now: number): Promise<number>;
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
}

export interface PolicyRepository {
  /** The customer's policy; defaults (nothing declared, nothing suspended) until first updated. */
  get(customerId: number): Promise<CustomerPolicy>;
  update(customerId: number, patch: PolicyPatch): Promise<CustomerPolicy>;
}

export interface PinRepository {
  /** `pin` must be exactly 4 digits; only a salted scrypt hash is stored. */
  create(customerId: number, label: string, pin: string): Promise<Pin>;
  change(id: number, pin: string): Promise<Pin>;
  list(customerId: number): Promise<Pin[]>;
  delete(id: number): Promise<void>;
  /** The customer's PIN matching `pin`, or undefined. Runs scrypt off the event loop. */
  verify(customerId: number, pin: string): Promise<Pin | undefined>;
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
  readonly locations: LocationRepository;
  readonly carriers: CarrierRepository;
  readonly policies: PolicyRepository;
  readonly pins: PinRepository;
  readonly audit: AuditLog;
  /** Schema version of the opened database (after migrations). */
  readonly schemaVersion: number;
  close(): Promise<void>;
}
