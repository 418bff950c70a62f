import { NotFoundError, ValidationError } from "../errors.js";
import type { RingGroupRepository } from "../repositories.js";
import type { NewRingGroup, RingGroup, RingGroupPatch, RingStrategy } from "../types.js";
import {
  checkId,
  checkInteger,
  checkInternalNumber,
  checkOneOf,
  checkOverflowTarget,
  checkText,
} from "../validate.js";
import type { Ctx, Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

interface Row {
  id: number;
  customer_id: number;
  number: string;
  name: string;
  strategy: RingStrategy;
  member_seconds: number;
  timeout_seconds: number;
  overflow: string | null;
  created_at: number;
}

const STRATEGIES: readonly RingStrategy[] = ["simultaneous", "sequential"];

/** The ring settings of a new group or a patch, checked (undefined = unchanged / default). */
function checkSettings(p: RingGroupPatch): RingGroupPatch {
  return {
    ...(p.strategy !== undefined && { strategy: checkOneOf(p.strategy, STRATEGIES, "strategy") }),
    ...(p.memberSeconds !== undefined && {
      memberSeconds: checkInteger(p.memberSeconds, "memberSeconds", 5, 120),
    }),
    ...(p.timeoutSeconds !== undefined && {
      timeoutSeconds: checkInteger(p.timeoutSeconds, "timeoutSeconds", 5, 600),
    }),
    ...(p.overflow !== undefined && {
      overflow: p.overflow === null ? null : checkOverflowTarget(p.overflow, "overflow"),
    }),
  };
}

function checkMembers(members: readonly number[] | undefined): number[] {
  const list = (members ?? []).map((m) => checkId(m, "members"));
  if (new Set(list).size !== list.length) throw new ValidationError("members", "members must not repeat");
  return list;
}

export class SqliteRingGroups implements RingGroupRepository {
  readonly #ctx: Ctx;
  readonly #insert: Stmt<[number, string, string, RingStrategy, number, number, string | null, number], Row>;
  readonly #byId: Stmt<[number], Row>;
  readonly #find: Stmt<[number, string], Row>;
  readonly #byCustomer: Stmt<[number], Row>;
  readonly #rename: Stmt<[string, number]>;
  readonly #settings: Stmt<[RingStrategy, number, number, string | null, number]>;
  readonly #members: Stmt<[number], { extension_id: number }>;
  readonly #addMember: Stmt<[number, number, number]>;
  readonly #clearMembers: Stmt<[number]>;
  readonly #extExists: Stmt<[number], { id: number }>;
  readonly #customerExists: Stmt<[number], { id: number }>;
  readonly #delete: Stmt<[number]>;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#insert = db.prepare(
      `INSERT INTO ring_groups (customer_id, number, name, strategy, member_seconds, timeout_seconds, overflow, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    );
    this.#byId = db.prepare("SELECT * FROM ring_groups WHERE id = ?");
    this.#find = db.prepare("SELECT * FROM ring_groups WHERE customer_id = ? AND number = ?");
    this.#byCustomer = db.prepare("SELECT * FROM ring_groups WHERE customer_id = ? ORDER BY number");
    this.#rename = db.prepare("UPDATE ring_groups SET name = ? WHERE id = ?");
    this.#settings = db.prepare(
      "UPDATE ring_groups SET strategy = ?, member_seconds = ?, timeout_seconds = ?, overflow = ? WHERE id = ?",
    );
    this.#members = db.prepare(
      "SELECT extension_id FROM ring_group_members WHERE group_id = ? ORDER BY position",
    );
    this.#addMember = db.prepare(
      "INSERT INTO ring_group_members (group_id, extension_id, position) VALUES (?, ?, ?)",
    );
    this.#clearMembers = db.prepare("DELETE FROM ring_group_members WHERE group_id = ?");
    this.#extExists = db.prepare("SELECT id FROM extensions WHERE id = ?");
    this.#customerExists = db.prepare("SELECT id FROM customers WHERE id = ?");
    this.#delete = db.prepare("DELETE FROM ring_groups WHERE id = ?");
  }

  #toGroup(r: Row): RingGroup {
    return {
      id: r.id,
      customerId: r.customer_id,
      number: r.number,
      name: r.name,
      strategy: r.strategy,
      members: this.#members.all(r.id).map((m) => m.extension_id),
      memberSeconds: r.member_seconds,
      timeoutSeconds: r.timeout_seconds,
      overflow: r.overflow,
      createdAt: r.created_at,
    };
  }

  #writeMembers(groupId: number, members: number[]): void {
    this.#clearMembers.run(groupId);
    members.forEach((ext, i) => {
      if (!this.#extExists.get(ext)) throw new NotFoundError("extension", ext);
      this.#addMember.run(groupId, ext, i);
    });
  }

  async create(input: NewRingGroup): Promise<RingGroup> {
    const customerId = checkId(input.customerId, "customerId");
    const number = checkInternalNumber(input.number);
    const name = checkText(input.name, "name");
    const settings = checkSettings(input);
    const members = checkMembers(input.members);
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          if (!this.#customerExists.get(customerId)) throw new NotFoundError("customer", customerId);
          const row = this.#insert.get(
            customerId,
            number,
            name,
            settings.strategy ?? "simultaneous",
            settings.memberSeconds ?? 15,
            settings.timeoutSeconds ?? 60,
            settings.overflow ?? null,
            this.#ctx.now(),
          )!;
          this.#writeMembers(row.id, members);
          return this.#toGroup(row);
        })
        .immediate(),
    );
  }

  async get(id: number): Promise<RingGroup> {
    const row = this.#byId.get(id);
    if (!row) throw new NotFoundError("ring group", id);
    return this.#toGroup(row);
  }

  async find(customerId: number, number: string): Promise<RingGroup | undefined> {
    const row = this.#find.get(customerId, number);
    return row ? this.#toGroup(row) : undefined;
  }

  async listByCustomer(customerId: number): Promise<RingGroup[]> {
    return this.#byCustomer.all(customerId).map((r) => this.#toGroup(r));
  }

  async update(id: number, patch: RingGroupPatch): Promise<RingGroup> {
    const name = patch.name === undefined ? undefined : checkText(patch.name, "name");
    const members = patch.members === undefined ? undefined : checkMembers(patch.members);
    const settings = checkSettings(patch);
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          const before = this.#byId.get(id);
          if (!before) throw new NotFoundError("ring group", id);
          if (name !== undefined) this.#rename.run(name, id);
          this.#settings.run(
            settings.strategy ?? before.strategy,
            settings.memberSeconds ?? before.member_seconds,
            settings.timeoutSeconds ?? before.timeout_seconds,
            settings.overflow === undefined ? before.overflow : settings.overflow,
            id,
          );
          if (members !== undefined) this.#writeMembers(id, members);
          return this.#toGroup(this.#byId.get(id)!);
        })
        .immediate(),
    );
  }

  async delete(id: number): Promise<void> {
    if (this.#delete.run(id).changes === 0) throw new NotFoundError("ring group", id);
  }
}
