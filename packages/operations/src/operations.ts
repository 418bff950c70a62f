import type { DestinationClass, NumberingPlan } from "@centrex/dialplan";
import { checkPasswordStrength, WeakPasswordError } from "@centrex/guard";
import type { PhoneInventory } from "@centrex/provisioning";
import type { AuditEntry, Customer, CustomerPolicy, NumberTarget, Store } from "@centrex/store";
import { type Actor, appendAudit, checkActor } from "./audit-entry.js";
import { type BanControl, BanOperations } from "./ban-operations.js";
import { CallFeatureOperations } from "./call-feature-operations.js";
import { type CallControl, CallOperations } from "./call-operations.js";
import { CarrierOperations } from "./carrier-operations.js";
import { invalid, notFound, OperationError, refused, storeCall } from "./errors.js";
import { PhoneOperations } from "./phone-operations.js";
import { RingGroupOperations } from "./ring-group-operations.js";
import {
  type BarringRequest,
  barringChange,
  checkClass,
  checkDid,
  checkE164,
  checkEmergencyLocation,
  checkFallback,
  checkLabel,
  checkPinCode,
  printable,
} from "./rules.js";
import {
  type CustomerDetail,
  type CustomerView,
  customerView,
  type ExtensionView,
  type NumberView,
} from "./views.js";

export interface OperationsOptions {
  /** The numbering plan in force: default access of each class (rule 19), number classes (rules 3, 22). */
  readonly plan: NumberingPlan;
  readonly clock?: () => number;
  /** The desk-phone inventory (catalog and provisioning key of this node): enables `phones`. */
  readonly phones?: PhoneInventory;
  /** The running switch's ban list: enables `bans` (only inside the switch; the CLI asks its API). */
  readonly bans?: BanControl;
  /** The running switch's calls in progress: enables `calls` (hang-up; only inside the switch). */
  readonly calls?: CallControl;
}

export interface SuspendRequest {
  /** Contract suspension for non-payment (rule 17): every outgoing call but emergency. */
  readonly nonPayment?: boolean;
  /** PSTN access cut after abnormal consumption (rule 16): internal calls keep working. */
  readonly pstn?: "partial" | "total";
  readonly reason?: string;
}

/**
 * The one way tenant data changes. The CLI, the admin API (and through it the console) and the
 * switch's own automatic actions (fraud suspension) call these methods; none writes to the store
 * directly. Each method checks its whole input and the service-terms rules before writing
 * anything, so a refused change leaves the store as it was, then writes and appends one audit
 * entry: who, what, before/after, never a secret. Reads that operators see are here too, so
 * every entry point shows the same thing (a customer's suspensions, a DID's extension number).
 */
export class Operations {
  readonly store: Store;
  readonly plan: NumberingPlan;
  /** Desk phones: add, move, remove, resync (each audited). */
  readonly phones: PhoneOperations;
  /** Sources the running switch refuses to answer: ban, lift (each audited). */
  readonly bans: BanOperations;
  /** Call forwarding and do-not-disturb of extensions. */
  readonly callFeatures: CallFeatureOperations;
  /** Calls in progress: hang up (audited). */
  readonly calls: CallOperations;
  /** Ring groups: add, change, members, remove (each audited). */
  readonly ringGroups: RingGroupOperations;
  /** Carriers and the destinations each takes (each change audited). */
  readonly carriers: CarrierOperations;
  readonly #clock: () => number;

  constructor(store: Store, opts: OperationsOptions) {
    this.store = store;
    this.plan = opts.plan;
    this.#clock = opts.clock ?? Date.now;
    this.phones = new PhoneOperations(store, opts.phones);
    this.bans = new BanOperations(store, opts.bans);
    this.callFeatures = new CallFeatureOperations(store);
    this.calls = new CallOperations(store, opts.calls);
    this.ringGroups = new RingGroupOperations(store);
    this.carriers = new CarrierOperations(store);
  }

  // ------------------------------------------------------------------ audit

  /**
   * Runs one change — the reads it decides on, its writes and its audit entry — as one store
   * transaction: a failure at any step (a constraint, the disk) leaves the store as it was.
   */
  #change<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.store.transaction(fn);
  }

  #record(
    tx: Store,
    actor: Actor,
    action: string,
    customer: Customer | null,
    detail: Record<string, unknown>,
  ): Promise<void> {
    return appendAudit(tx, actor, action, customer, detail);
  }

  #actor(actor: Actor): Actor {
    return checkActor(actor);
  }

  /**
   * The audit trail, newest first. `customer` (a domain) narrows it to the customer that has
   * that domain now — never a deleted one's entries, since ids are not reused; with
   * `includeDeleted`, to every customer that ever had the domain (entries keep the domain they
   * were made under). `customerId` narrows it to one customer, deleted or not.
   */
  async audit(
    q: { customer?: string; customerId?: number; includeDeleted?: boolean; limit?: number } = {},
  ): Promise<AuditEntry[]> {
    const limit = q.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw invalid("limit", `limit must be 1 to 10000, got "${String(q.limit)}"`);
    if (q.customer !== undefined && q.customerId !== undefined)
      throw invalid("customerId", "give a customer domain or a customer id, not both");
    if (q.includeDeleted === true && q.customer === undefined)
      throw invalid("includeDeleted", "includeDeleted needs a customer domain");
    if (q.customerId !== undefined) {
      if (!Number.isSafeInteger(q.customerId) || q.customerId < 1)
        throw invalid(
          "customerId",
          `customerId must be a positive whole number, got "${String(q.customerId)}"`,
        );
      return this.store.audit.list({ limit, customerId: q.customerId });
    }
    if (q.customer === undefined) return this.store.audit.list({ limit });
    if (q.includeDeleted === true) {
      if (typeof q.customer !== "string" || q.customer.trim() === "")
        throw invalid("customer", `customer must be a domain, got "${String(q.customer)}"`);
      return this.store.audit.list({ limit, domain: q.customer.trim().toLowerCase() });
    }
    return this.store.audit.list({ limit, customerId: (await this.customer(q.customer)).id });
  }

  // ------------------------------------------------------------------ customers

  /** The customer with this domain, or not_found naming it. */
  async customer(domain: string, s: Store = this.store): Promise<Customer> {
    const c =
      typeof domain === "string" ? await s.customers.findByDomain(domain.trim().toLowerCase()) : undefined;
    if (c === undefined) throw notFound(`no customer with domain "${String(domain)}"`, "domain");
    return c;
  }

  async listCustomers(): Promise<CustomerView[]> {
    const out: CustomerView[] = [];
    for (const c of await this.store.customers.list())
      out.push(customerView(c, await this.store.policies.get(c.id)));
    return out;
  }

  async showCustomer(domain: string): Promise<CustomerDetail> {
    const c = await this.customer(domain);
    const policy = await this.store.policies.get(c.id);
    return {
      customer: customerView(c, policy),
      policy,
      extensions: await this.store.extensions.countByCustomer(c.id),
      numbers: (await this.store.numbers.listByCustomer(c.id)).length,
      pins: (await this.store.pins.list(c.id)).map((p) => p.label),
    };
  }

  async addCustomer(actor: Actor, input: { name: string; domain: string }): Promise<CustomerView> {
    this.#actor(actor);
    return this.#change(async (tx) => {
      const c = await storeCall(
        () => tx.customers.create({ name: input.name, domain: input.domain }),
        {},
        { name: input.name, domain: input.domain },
      );
      await this.#record(tx, actor, "customer.add", c, { after: { name: c.name, domain: c.domain } });
      return customerView(c, await tx.policies.get(c.id));
    });
  }

  /** Name, telecom-professional class (rule 7) and phone delivery date (rule 8, billing start). */
  async updateCustomer(
    actor: Actor,
    domain: string,
    patch: { name?: string; telecomProfessional?: boolean; deliveryDate?: string | null },
  ): Promise<CustomerView> {
    this.#actor(actor);
    if (
      patch.name === undefined &&
      patch.telecomProfessional === undefined &&
      patch.deliveryDate === undefined
    )
      throw invalid("name", "nothing to change: give a name, telecomProfessional or deliveryDate");
    if (patch.deliveryDate != null && !isDay(patch.deliveryDate))
      throw invalid("deliveryDate", `deliveryDate "${patch.deliveryDate}" is not a date YYYY-MM-DD`);
    if (patch.name !== undefined) validName(patch.name);
    return this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const p = await tx.policies.get(c.id);
      const before = {
        name: c.name,
        telecomProfessional: p.telecomProfessional,
        deliveryDate: p.deliveryDate,
      };
      const updated =
        patch.name === undefined
          ? c
          : await storeCall(() => tx.customers.update(c.id, { name: patch.name! }), {}, { name: patch.name });
      const policy =
        patch.telecomProfessional === undefined && patch.deliveryDate === undefined
          ? p
          : await storeCall(() =>
              tx.policies.update(c.id, {
                ...(patch.telecomProfessional !== undefined && {
                  telecomProfessional: patch.telecomProfessional,
                }),
                ...(patch.deliveryDate !== undefined && { deliveryDate: patch.deliveryDate }),
              }),
            );
      const after = {
        name: updated.name,
        telecomProfessional: policy.telecomProfessional,
        deliveryDate: policy.deliveryDate,
      };
      await this.#record(tx, actor, "customer.update", c, { before, after });
      return customerView(updated, policy);
    });
  }

  /** Deletes the customer and what it owns; its call records and audit entries stay (rule 12). */
  async removeCustomer(actor: Actor, domain: string): Promise<void> {
    this.#actor(actor);
    await this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const before = {
        name: c.name,
        domain: c.domain,
        extensions: await tx.extensions.countByCustomer(c.id),
        numbers: (await tx.numbers.listByCustomer(c.id)).map((n) => n.e164),
      };
      await storeCall(() => tx.customers.delete(c.id));
      await this.#record(tx, actor, "customer.remove", c, { before });
    });
  }

  /** Rule 17: termination after a suspension; the customer stays (records, invoices) but gets no service. */
  async terminateCustomer(actor: Actor, domain: string): Promise<CustomerView> {
    this.#actor(actor);
    return this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      if (c.status === "terminated")
        throw new OperationError("conflict", `${c.domain} is already terminated`, "status");
      const u = await storeCall(() => tx.customers.update(c.id, { status: "terminated" }));
      await this.#record(tx, actor, "customer.terminate", c, {
        before: { status: c.status },
        after: { status: "terminated" },
      });
      return customerView(u, await tx.policies.get(c.id));
    });
  }

  // ------------------------------------------------------------------ suspension (rules 16, 17)

  async suspend(actor: Actor, domain: string, req: SuspendRequest): Promise<CustomerView> {
    this.#actor(actor);
    if (req.nonPayment !== true && req.pstn === undefined)
      throw invalid("pstn", "say which suspension: non-payment, or PSTN partial|total");
    if (req.pstn !== undefined && req.pstn !== "partial" && req.pstn !== "total")
      throw invalid("pstn", `pstn must be partial or total, got "${String(req.pstn)}"`);
    const reason = req.reason === undefined ? null : printable(req.reason, "reason", 500);
    return this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      if (c.status === "terminated")
        throw refused("domain", `${c.domain} is terminated: there is nothing to suspend`);
      const p = await tx.policies.get(c.id);
      const now = this.#clock();
      const before = { status: c.status, pstn: p.pstnSuspension };
      let cust = c;
      if (req.nonPayment === true && c.status !== "suspended")
        cust = await storeCall(() => tx.customers.update(c.id, { status: "suspended" }));
      const policy = await storeCall(() =>
        tx.policies.update(c.id, {
          ...(req.nonPayment === true && {
            nonPaymentReason: reason,
            ...(c.status !== "suspended" && { nonPaymentSince: now }),
          }),
          ...(req.pstn !== undefined && {
            pstnSuspension: req.pstn,
            pstnSuspensionReason: reason,
            ...(p.pstnSuspension === "none" && { pstnSuspendedAt: now }),
          }),
        }),
      );
      await this.#record(tx, actor, "customer.suspend", c, {
        before,
        after: { status: cust.status, pstn: policy.pstnSuspension },
        ...(reason !== null && { reason }),
      });
      return customerView(cust, policy);
    });
  }

  /** Lifts every suspension (or only the one named). */
  async resume(
    actor: Actor,
    domain: string,
    which: { nonPayment?: boolean; pstn?: boolean } = {},
  ): Promise<CustomerView> {
    this.#actor(actor);
    return this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const p = await tx.policies.get(c.id);
      const all = which.nonPayment !== true && which.pstn !== true;
      const liftPayment = (all || which.nonPayment === true) && c.status === "suspended";
      const liftPstn = (all || which.pstn === true) && p.pstnSuspension !== "none";
      if (!liftPayment && !liftPstn)
        throw new OperationError("conflict", `${c.domain} is not suspended`, "domain");
      const cust = liftPayment ? await storeCall(() => tx.customers.update(c.id, { status: "active" })) : c;
      const policy = await storeCall(() =>
        tx.policies.update(c.id, {
          ...(liftPayment && { nonPaymentSince: null, nonPaymentReason: null }),
          ...(liftPstn && { pstnSuspension: "none", pstnSuspensionReason: null, pstnSuspendedAt: null }),
        }),
      );
      await this.#record(tx, actor, "customer.resume", c, {
        before: { status: c.status, pstn: p.pstnSuspension },
        after: { status: cust.status, pstn: policy.pstnSuspension },
      });
      return customerView(cust, policy);
    });
  }

  // ------------------------------------------------------------------ extensions

  async listExtensions(domain: string): Promise<ExtensionView[]> {
    const c = await this.customer(domain);
    const now = this.#clock();
    const out: ExtensionView[] = [];
    for (const e of await this.store.extensions.listByCustomer(c.id))
      out.push({ ...e, registered: await this.store.locations.count(e.id, now) });
    return out;
  }

  async #extension(s: Store, c: Customer, number: string) {
    const e = await s.extensions.find(c.id, number);
    if (e === undefined) throw notFound(`no extension "${number}" in ${c.domain}`, "number");
    return e;
  }

  async addExtension(
    actor: Actor,
    domain: string,
    input: { number: string; password?: string; displayName?: string; enabled?: boolean },
  ): Promise<ExtensionView> {
    this.#actor(actor);
    return this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      if (input.password !== undefined) strongPassword(input.password, input.number, c.domain);
      const e = await storeCall(
        () =>
          tx.extensions.create({
            customerId: c.id,
            number: input.number,
            ...(input.password !== undefined && { password: input.password }),
            ...(input.displayName !== undefined && { displayName: input.displayName }),
            ...(input.enabled !== undefined && { enabled: input.enabled }),
          }),
        {},
        { number: input.number, displayName: input.displayName },
      );
      await this.#record(tx, actor, "extension.add", c, {
        after: {
          number: e.number,
          displayName: e.displayName,
          enabled: e.enabled,
          password: e.hasPassword ? "set" : "none",
        },
      });
      return { ...e, registered: 0 };
    });
  }

  async updateExtension(
    actor: Actor,
    domain: string,
    number: string,
    patch: { displayName?: string; enabled?: boolean },
  ): Promise<ExtensionView> {
    this.#actor(actor);
    if (patch.displayName === undefined && patch.enabled === undefined)
      throw invalid("displayName", "nothing to change: give displayName or enabled");
    return this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const e = await this.#extension(tx, c, number);
      const u = await storeCall(
        () => tx.extensions.update(e.id, patch),
        {},
        { displayName: patch.displayName },
      );
      await this.#record(
        tx,
        actor,
        patch.enabled === undefined
          ? "extension.update"
          : patch.enabled
            ? "extension.enable"
            : "extension.disable",
        c,
        {
          number: e.number,
          before: { displayName: e.displayName, enabled: e.enabled },
          after: { displayName: u.displayName, enabled: u.enabled },
        },
      );
      return { ...u, registered: await tx.locations.count(u.id, this.#clock()) };
    });
  }

  /** Sets the SIP password; the audit entry says it changed, never what it is. */
  async setExtensionPassword(actor: Actor, domain: string, number: string, password: string): Promise<void> {
    this.#actor(actor);
    await this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const e = await this.#extension(tx, c, number);
      strongPassword(password, e.number, c.domain);
      await storeCall(() => tx.extensions.setPassword(e.id, password));
      await this.#record(tx, actor, "extension.passwd", c, { number: e.number });
    });
  }

  async removeExtension(actor: Actor, domain: string, number: string): Promise<void> {
    this.#actor(actor);
    await this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const e = await this.#extension(tx, c, number);
      const routed = (await tx.numbers.listByCustomer(c.id))
        .filter((n) => n.target?.kind === "extension" && n.target.id === e.id)
        .map((n) => n.e164);
      await storeCall(() => tx.extensions.delete(e.id));
      await this.#record(tx, actor, "extension.remove", c, {
        before: { number: e.number, displayName: e.displayName },
        ...(routed.length > 0 && { unroutedNumbers: routed }),
      });
    });
  }

  // ------------------------------------------------------------------ numbers (DIDs)

  async listNumbers(domain: string): Promise<NumberView[]> {
    const c = await this.customer(domain);
    const out: NumberView[] = [];
    for (const n of await this.store.numbers.listByCustomer(c.id))
      out.push({ ...n, target: await this.#describe(this.store, n.target) });
    return out;
  }

  async #describe(s: Store, t: NumberTarget | null): Promise<NumberView["target"]> {
    if (t === null) return null;
    const row = t.kind === "extension" ? await s.extensions.get(t.id) : await s.ringGroups.get(t.id);
    return { kind: t.kind, id: t.id, number: row.number };
  }

  async #target(
    s: Store,
    c: Customer,
    t: { kind: "extension" | "group"; number: string } | undefined,
  ): Promise<NumberTarget | null> {
    if (t === undefined) return null;
    if (t.kind !== "extension" && t.kind !== "group")
      throw invalid("target.kind", `target kind must be extension or group, got "${String(t.kind)}"`);
    const row =
      t.kind === "extension"
        ? await s.extensions.find(c.id, t.number)
        : await s.ringGroups.find(c.id, t.number);
    if (row === undefined) throw notFound(`no ${t.kind} "${t.number}" in ${c.domain}`, "target.number");
    return { kind: t.kind, id: row.id };
  }

  /** Rule 3: allocates a French geographic number; `main` makes it the customer's main number. */
  async addNumber(
    actor: Actor,
    domain: string,
    input: { e164: string; target?: { kind: "extension" | "group"; number: string }; main?: boolean },
  ): Promise<NumberView> {
    this.#actor(actor);
    const e164 = checkDid(this.plan, input.e164);
    return this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const target = await this.#target(tx, c, input.target);
      const n = await storeCall(
        () => tx.numbers.create({ e164, customerId: c.id, target, isMain: input.main === true }),
        {},
        { e164 },
      );
      const view = { ...n, target: await this.#describe(tx, n.target) };
      await this.#record(tx, actor, "did.add", c, {
        after: {
          e164: n.e164,
          target: view.target === null ? null : `${view.target.kind} ${view.target.number}`,
          main: n.isMain,
        },
      });
      return view;
    });
  }

  async removeNumber(actor: Actor, domain: string, e164: string): Promise<void> {
    this.#actor(actor);
    checkE164(e164, "e164");
    await this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const n = await tx.numbers.findByE164(e164);
      if (n === undefined || n.customerId !== c.id)
        throw notFound(`${c.domain} has no number ${e164}`, "e164");
      const t = await this.#describe(tx, n.target);
      await storeCall(() => tx.numbers.delete(n.id));
      await this.#record(tx, actor, "did.remove", c, {
        before: { e164: n.e164, target: t === null ? null : `${t.kind} ${t.number}`, main: n.isMain },
      });
    });
  }

  // ------------------------------------------------------------------ policy

  async policy(domain: string): Promise<CustomerPolicy> {
    return this.store.policies.get((await this.customer(domain)).id);
  }

  /** Rule 22: where calls to the main number go during an outage (null clears it). */
  async setFallback(actor: Actor, domain: string, e164: string | null): Promise<CustomerPolicy> {
    this.#actor(actor);
    const number = e164 === null ? null : checkFallback(this.plan, e164);
    return this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const before = (await tx.policies.get(c.id)).fallbackNumber;
      const p = await storeCall(() => tx.policies.update(c.id, { fallbackNumber: number }), {
        fallbackNumber: "e164",
      });
      await this.#record(tx, actor, "policy.fallback", c, { before, after: number });
      return p;
    });
  }

  /** Rule 15: emergency calls are routed only once the customer declared where it is. */
  async declareEmergency(
    actor: Actor,
    domain: string,
    department: string,
    commune: string,
  ): Promise<CustomerPolicy> {
    this.#actor(actor);
    const loc = checkEmergencyLocation(department, commune);
    return this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const old = await tx.policies.get(c.id);
      const p = await storeCall(
        () =>
          tx.policies.update(c.id, {
            emergencyDepartment: loc.department,
            emergencyCommune: loc.commune,
          }),
        { emergencyDepartment: "department", emergencyCommune: "commune" },
      );
      await this.#record(tx, actor, "policy.emergency", c, {
        before:
          old.emergencyDepartment === null
            ? null
            : { department: old.emergencyDepartment, commune: old.emergencyCommune },
        after: loc,
      });
      return p;
    });
  }

  /**
   * Rule 19: a barred class opens only to "pin", and only for a customer that has a PIN to
   * open it with (rule 18); "default" returns the class to the plan's access.
   */
  async setBarring(
    actor: Actor,
    domain: string,
    cls: string,
    access: BarringRequest,
  ): Promise<CustomerPolicy> {
    this.#actor(actor);
    const klass: DestinationClass = checkClass(cls);
    return this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const stored = await tx.policies.get(c.id);
      const change = barringChange(this.plan, stored, klass, access, actor, this.#clock());
      if (change.to === "pin" && change.from === "barred" && (await tx.pins.list(c.id)).length === 0)
        throw refused(
          "access",
          `${c.domain} has no PIN code: add one (pin add) before opening ${klass} with PIN protection`,
        );
      const p = await storeCall(() => tx.policies.update(c.id, { barringOverrides: change.overrides }));
      await this.#record(tx, actor, "policy.barring", c, {
        class: klass,
        before: change.from,
        after: change.to,
      });
      return p;
    });
  }

  // ------------------------------------------------------------------ PIN codes (rule 18)

  async listPins(domain: string) {
    return this.store.pins.list((await this.customer(domain)).id);
  }

  async #refuseReusedCode(c: Customer, code: string, except?: string): Promise<void> {
    const same = await this.store.pins.verify(c.id, code);
    if (same !== undefined && same.label !== except)
      throw new OperationError(
        "conflict",
        `that code is already the PIN "${same.label}" of ${c.domain}: choose another`,
        "code",
      );
  }

  async addPin(actor: Actor, domain: string, label: string, code: string) {
    this.#actor(actor);
    const l = checkLabel(label);
    checkPinCode(code);
    const c = await this.customer(domain);
    if ((await this.store.pins.list(c.id)).some((p) => p.label === l))
      throw new OperationError("conflict", `${c.domain} already has a PIN "${l}"`, "label");
    await this.#refuseReusedCode(c, code);
    // Hashed (scrypt, libuv pool) before the transaction, which may wait on the store only.
    const hashed = await storeCall(() => this.store.pins.hash(code), { pin: "code" });
    return this.#change(async (tx) => {
      const again = await this.customer(domain, tx);
      if ((await tx.pins.list(again.id)).some((x) => x.label === l))
        throw new OperationError("conflict", `${again.domain} already has a PIN "${l}"`, "label");
      const p = await storeCall(() => tx.pins.create(again.id, l, hashed), { pin: "code" });
      await this.#record(tx, actor, "pin.add", again, { label: p.label });
      return p;
    });
  }

  async changePin(actor: Actor, domain: string, label: string, code: string) {
    this.#actor(actor);
    checkPinCode(code);
    const c = await this.customer(domain);
    const p = (await this.store.pins.list(c.id)).find((x) => x.label === label);
    if (p === undefined) throw notFound(`${c.domain} has no PIN "${label}"`, "label");
    await this.#refuseReusedCode(c, code, label);
    const hashed = await storeCall(() => this.store.pins.hash(code), { pin: "code" });
    return this.#change(async (tx) => {
      const u = await storeCall(() => tx.pins.change(p.id, hashed), { pin: "code" });
      await this.#record(tx, actor, "pin.change", c, { label: p.label });
      return u;
    });
  }

  async removePin(actor: Actor, domain: string, label: string): Promise<void> {
    this.#actor(actor);
    await this.#change(async (tx) => {
      const c = await this.customer(domain, tx);
      const p = (await tx.pins.list(c.id)).find((x) => x.label === label);
      if (p === undefined) throw notFound(`${c.domain} has no PIN "${label}"`, "label");
      await storeCall(() => tx.pins.delete(p.id));
      await this.#record(tx, actor, "pin.remove", c, { label: p.label });
    });
  }
}

/** Weak SIP passwords are the first way into toll fraud (rule 20): the guard's policy, for every entry point. */
function strongPassword(password: string, username: string, realm: string): void {
  try {
    checkPasswordStrength(password, { username, realm });
  } catch (err) {
    if (err instanceof WeakPasswordError) throw invalid("password", `weak password refused: ${err.message}`);
    throw err;
  }
}

function isDay(v: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(v) &&
    !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) &&
    new Date(`${v}T00:00:00Z`).toISOString().startsWith(v)
  );
}

function validName(v: string): string {
  return printable(v, "name", 200);
}
