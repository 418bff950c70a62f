import type { Customer, RingGroup, RingStrategy, Store } from "@centrex/store";
import { type Actor, appendAudit, checkActor } from "./audit-entry.js";
import { invalid, notFound, storeCall } from "./errors.js";

/** A ring group as the CLI and the API show it: members by extension number, in hunt order. */
export interface RingGroupView {
  readonly number: string;
  readonly name: string;
  readonly strategy: RingStrategy;
  readonly members: readonly string[];
  readonly memberSeconds: number;
  readonly timeoutSeconds: number;
  readonly overflow: string | null;
}

export interface NewRingGroupRequest {
  number: string;
  name: string;
  strategy?: RingStrategy;
  /** Extension numbers, in hunt order. */
  members?: readonly string[];
  memberSeconds?: number;
  timeoutSeconds?: number;
  overflow?: string | null;
}

export type RingGroupUpdate = Partial<Omit<NewRingGroupRequest, "number">>;

/**
 * Ring groups of a customer: a number in its plan (shared with extensions) that rings its
 * members simultaneously or in turn, then overflows. Every change is audited in the same
 * transaction. The overflow's form is checked here (and a "voicemail:<ext>" must name an
 * extension of the customer); whether the group may call an outside number is decided on each
 * call by the operator's rules, as for a dialled one.
 */
export class RingGroupOperations {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async list(domain: string): Promise<RingGroupView[]> {
    const c = await customerOf(this.#store, domain);
    const out: RingGroupView[] = [];
    for (const g of await this.#store.ringGroups.listByCustomer(c.id)) out.push(await view(this.#store, g));
    return out;
  }

  async show(domain: string, number: string): Promise<RingGroupView> {
    const c = await customerOf(this.#store, domain);
    return view(this.#store, await groupOf(this.#store, c, number));
  }

  async add(actor: Actor, domain: string, input: NewRingGroupRequest): Promise<RingGroupView> {
    checkActor(actor);
    return this.#store.transaction(async (tx) => {
      const c = await customerOf(tx, domain);
      const members = await memberIds(tx, c, input.members ?? []);
      await checkOverflow(tx, c, input.number, input.overflow);
      const g = await storeCall(
        () =>
          tx.ringGroups.create({
            customerId: c.id,
            number: input.number,
            name: input.name,
            members,
            ...settings(input),
          }),
        {},
        { ...input },
      );
      const after = await view(tx, g);
      await appendAudit(tx, actor, "ring-group.add", c, { after });
      return after;
    });
  }

  async update(actor: Actor, domain: string, number: string, patch: RingGroupUpdate): Promise<RingGroupView> {
    checkActor(actor);
    if (Object.values(patch).every((v) => v === undefined))
      throw invalid("strategy", "nothing to change: give a name, strategy, members, ring times or overflow");
    return this.#store.transaction(async (tx) => {
      const c = await customerOf(tx, domain);
      const g = await groupOf(tx, c, number);
      const before = await view(tx, g);
      const members = patch.members === undefined ? undefined : await memberIds(tx, c, patch.members);
      await checkOverflow(tx, c, number, patch.overflow);
      const u = await storeCall(
        () =>
          tx.ringGroups.update(g.id, {
            ...(patch.name !== undefined && { name: patch.name }),
            ...(members !== undefined && { members }),
            ...settings(patch),
          }),
        {},
        { ...patch },
      );
      const after = await view(tx, u);
      await appendAudit(tx, actor, "ring-group.update", c, { number, before, after });
      return after;
    });
  }

  /** Adds a member at the end of the hunt order (or at `position`, 1 = first). */
  async addMember(
    actor: Actor,
    domain: string,
    number: string,
    extension: string,
    position?: number,
  ): Promise<RingGroupView> {
    checkActor(actor);
    return this.#store.transaction(async (tx) => {
      const c = await customerOf(tx, domain);
      const g = await groupOf(tx, c, number);
      const before = await view(tx, g);
      if (before.members.includes(extension))
        throw invalid("extension", `${extension} is already a member of ring group ${number}`);
      const [id] = await memberIds(tx, c, [extension]);
      const members = [...g.members];
      if (
        position !== undefined &&
        (!Number.isInteger(position) || position < 1 || position > members.length + 1)
      )
        throw invalid("position", `position must be 1 to ${members.length + 1}, got "${String(position)}"`);
      members.splice(position === undefined ? members.length : position - 1, 0, id!);
      const after = await view(tx, await storeCall(() => tx.ringGroups.update(g.id, { members })));
      await appendAudit(tx, actor, "ring-group.member-add", c, { number, extension, before, after });
      return after;
    });
  }

  async removeMember(
    actor: Actor,
    domain: string,
    number: string,
    extension: string,
  ): Promise<RingGroupView> {
    checkActor(actor);
    return this.#store.transaction(async (tx) => {
      const c = await customerOf(tx, domain);
      const g = await groupOf(tx, c, number);
      const before = await view(tx, g);
      const at = before.members.indexOf(extension);
      if (at < 0) throw notFound(`${extension} is not a member of ring group ${number}`, "extension");
      const members = g.members.filter((_, i) => i !== at);
      const after = await view(tx, await storeCall(() => tx.ringGroups.update(g.id, { members })));
      await appendAudit(tx, actor, "ring-group.member-remove", c, { number, extension, before, after });
      return after;
    });
  }

  async remove(actor: Actor, domain: string, number: string): Promise<void> {
    checkActor(actor);
    await this.#store.transaction(async (tx) => {
      const c = await customerOf(tx, domain);
      const g = await groupOf(tx, c, number);
      const before = await view(tx, g);
      await storeCall(() => tx.ringGroups.delete(g.id));
      await appendAudit(tx, actor, "ring-group.remove", c, { before });
    });
  }
}

async function customerOf(s: Store, domain: string): Promise<Customer> {
  const c = await s.customers.findByDomain(String(domain).trim().toLowerCase());
  if (c === undefined) throw notFound(`no customer with domain "${String(domain)}"`, "domain");
  return c;
}

async function groupOf(s: Store, c: Customer, number: string): Promise<RingGroup> {
  const g = await s.ringGroups.find(c.id, String(number));
  if (g === undefined) throw notFound(`no ring group "${String(number)}" in ${c.domain}`, "number");
  return g;
}

async function memberIds(s: Store, c: Customer, numbers: readonly string[]): Promise<number[]> {
  if (!Array.isArray(numbers)) throw invalid("members", "members must be a list of extension numbers");
  const ids: number[] = [];
  for (const n of numbers) {
    const ext = await s.extensions.find(c.id, String(n));
    if (ext === undefined) throw notFound(`no extension "${String(n)}" in ${c.domain}`, "members");
    if (ids.includes(ext.id)) throw invalid("members", `extension ${n} is listed twice`);
    ids.push(ext.id);
  }
  return ids;
}

/** An overflow to the group itself is a loop; a mailbox must be an extension of the customer. */
async function checkOverflow(s: Store, c: Customer, number: string, overflow: string | null | undefined) {
  if (overflow === undefined || overflow === null) return;
  if (overflow === number) throw invalid("overflow", `ring group ${number} cannot overflow to itself`);
  const mailbox = /^voicemail:(\d+)$/.exec(String(overflow))?.[1];
  if (mailbox !== undefined && (await s.extensions.find(c.id, mailbox)) === undefined)
    throw notFound(`no extension "${mailbox}" in ${c.domain} for the overflow's voicemail`, "overflow");
}

function settings(r: RingGroupUpdate) {
  return {
    ...(r.strategy !== undefined && { strategy: r.strategy }),
    ...(r.memberSeconds !== undefined && { memberSeconds: r.memberSeconds }),
    ...(r.timeoutSeconds !== undefined && { timeoutSeconds: r.timeoutSeconds }),
    ...(r.overflow !== undefined && { overflow: r.overflow }),
  };
}

async function view(s: Store, g: RingGroup): Promise<RingGroupView> {
  const members: string[] = [];
  for (const id of g.members) members.push((await s.extensions.get(id)).number);
  return {
    number: g.number,
    name: g.name,
    strategy: g.strategy,
    members,
    memberSeconds: g.memberSeconds,
    timeoutSeconds: g.timeoutSeconds,
    overflow: g.overflow,
  };
}
