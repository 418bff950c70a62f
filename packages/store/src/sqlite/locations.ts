import { NotFoundError, ValidationError } from "../errors.js";
import type { LocationRepository } from "../repositories.js";
import type { Binding, BindingInput, BindingTransport } from "../types.js";
import { checkContactUri, checkId, checkInteger, checkOneOf, checkText } from "../validate.js";
import type { ChangedTable } from "./change-feed.js";
import type { Ctx, Stmt } from "./context.js";

const NONE: Binding[] = [];

const TRANSPORTS: readonly BindingTransport[] = ["udp", "tcp", "tls", "ws", "wss"];

interface Row {
  id: number;
  extension_id: number;
  contact: string;
  q: number;
  expires_at: number;
  call_id: string;
  cseq: number;
  transport: BindingTransport;
  source_address: string;
  source_port: number;
  local_address: string | null;
  local_port: number | null;
  connection_id: string | null;
  instance_id: string | null;
  reg_id: number | null;
  user_agent: string | null;
  path: string;
  updated_at: number;
}

/** Statement parameters: the row's columns (keyed by AOR rather than extension id) and the time. */
type Params = Omit<Row, "id" | "extension_id" | "updated_at"> & { aor: number; now: number };

const NO_PATH: readonly string[] = Object.freeze([]);

/**
 * One shared copy of the values many bindings repeat (the transport, the address a NAT or the
 * listener shows, the phone model): SQLite hands each row its own strings, and the bindings are
 * held in memory for as long as the phones stay registered. Bounded: past INTERNED values a
 * string is kept as is.
 */
const INTERNED = 4096;
const interned = new Map<string, string>();
function shared<T extends string | null>(s: T): T {
  if (s === null) return s;
  const hit = interned.get(s);
  if (hit !== undefined) return hit as T;
  if (interned.size < INTERNED) interned.set(s, s);
  return s;
}

const toBinding = (r: Row): Binding => ({
  id: r.id,
  aor: r.extension_id,
  contact: r.contact,
  q: r.q,
  expiresAt: r.expires_at,
  callId: r.call_id,
  cseq: r.cseq,
  transport: shared(r.transport),
  sourceAddress: shared(r.source_address),
  sourcePort: r.source_port,
  localAddress: shared(r.local_address),
  localPort: r.local_port,
  connectionId: r.connection_id,
  instanceId: r.instance_id,
  regId: r.reg_id,
  userAgent: shared(r.user_agent),
  path: r.path === "[]" ? NO_PATH : (JSON.parse(r.path) as string[]),
  updatedAt: r.updated_at,
});

/** The row `p` wrote, as SQLite holds it. */
function rowOf(p: Params, id: number): Row {
  return {
    id,
    extension_id: p.aor,
    contact: p.contact,
    q: p.q,
    expires_at: p.expires_at,
    call_id: p.call_id,
    cseq: p.cseq,
    transport: p.transport,
    source_address: p.source_address,
    source_port: p.source_port,
    local_address: p.local_address,
    local_port: p.local_port,
    connection_id: p.connection_id,
    instance_id: p.instance_id,
    reg_id: p.reg_id,
    user_agent: p.user_agent,
    path: p.path,
    updated_at: p.now,
  };
}

function params(b: BindingInput, now: number): Params {
  const q = b.q ?? 1;
  if (typeof q !== "number" || !(q >= 0 && q <= 1)) throw new ValidationError("q", "q must be from 0 to 1");
  const path = b.path ?? [];
  if (!Array.isArray(path) || !path.every((p) => typeof p === "string")) {
    throw new ValidationError("path", "path must be a list of strings");
  }
  return {
    aor: checkId(b.aor, "aor"),
    contact: checkContactUri(b.contact),
    q,
    expires_at: checkInteger(b.expiresAt, "expiresAt", 0, Number.MAX_SAFE_INTEGER),
    call_id: checkText(b.callId, "callId", { max: 512 }),
    cseq: checkInteger(b.cseq, "cseq", 0, 2 ** 32 - 1),
    transport: checkOneOf(b.transport, TRANSPORTS, "transport"),
    source_address: checkText(b.sourceAddress, "sourceAddress", { max: 64 }),
    source_port: checkInteger(b.sourcePort, "sourcePort", 1, 65535),
    local_address: b.localAddress ?? null,
    local_port:
      b.localPort === undefined || b.localPort === null
        ? null
        : checkInteger(b.localPort, "localPort", 0, 65535),
    connection_id: b.connectionId ?? null,
    instance_id: b.instanceId ?? null,
    reg_id: b.regId === undefined || b.regId === null ? null : checkInteger(b.regId, "regId", 0, 2 ** 31 - 1),
    user_agent: b.userAgent ?? null,
    path: JSON.stringify(path),
    now,
  };
}

/** A pending write-behind refresh: only the expiry and CSeq of an existing row move. */
interface Refresh {
  readonly aor: number;
  readonly contact: string;
  readonly callId: string;
  readonly expiresAt: number;
  readonly cseq: number;
  readonly now: number;
}

/** How long refreshes are held before their batch is written (one transaction, one fsync). */
const WRITE_BEHIND_MS = 200;

/**
 * Bindings served from memory (Kamailio's usrloc model), SQLite the durable copy.
 *
 * - Reads (`get`, `current`, `count`: every REGISTER and every call to an extension) are map
 *   lookups. An AOR is loaded from SQLite on first use (an empty list is cached too) and
 *   dropped when a row of it changes behind the cache's back: another connection's commit (the
 *   CLI; `PRAGMA data_version`, checked before each read) or a write on this connection that is
 *   not the cache's own (replication sink, admin API cascades; TEMP triggers), see change-feed.ts.
 * - Writes that matter after a crash — a new binding, a changed contact/flow, a removal — are
 *   durable (committed, fsynced) before the promise resolves, as before.
 * - A refresh that only moves the expiry (same contact, Call-ID and flow) is answered from
 *   memory and written behind, batched: losing it in a crash leaves the binding with its previous
 *   expiry, which the phone's next refresh fixes. The batch is an UPDATE of the existing row, so
 *   it never resurrects a binding removed meanwhile.
 */
export class SqliteLocations implements LocationRepository {
  readonly #ctx: Ctx;
  readonly #upsert: Stmt<[Params], number>;
  readonly #dropOtherFlow: Stmt<[number, string, number, string], Row>;
  readonly #ofAor: Stmt<[number], Row>;
  readonly #all: Stmt<[], Row>;
  readonly #refresh: Stmt<[number, number, number, number, string, string]>;
  readonly #remove: Stmt<[number, string]>;
  readonly #removeAll: Stmt<[number], Row>;
  readonly #purge: Stmt<[number], Row>;
  readonly #countAll: Stmt<[number], { n: number }>;
  readonly #page: Stmt<[number, number, number], Row>;
  /** AOR → all its rows (expired ones too, until purged). */
  readonly #cache = new Map<number, Binding[]>();
  /** AOR → contact → pending refresh. */
  #behind = new Map<number, Map<string, Refresh>>();
  #behindTimer: NodeJS.Timeout | undefined;
  /**
   * Every AOR's rows are in `#cache` (loaded in one pass, as usrloc does at start), so an AOR
   * missing from it has no binding — unless listed in `#stale` (changed on this connection
   * outside the cache: reload it alone). False after another connection's commit, until the next
   * read reloads the table.
   */
  #complete = false;
  readonly #stale = new Set<number>();
  /** Bumped whenever an entry is dropped for an outside change: an in-flight write then does not install its stale view. */
  #generation = 0;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    this.#upsert = db
      .prepare<[Params], number>(
        `INSERT INTO bindings (extension_id, contact, q, expires_at, call_id, cseq, transport, source_address,
         source_port, local_address, local_port, connection_id, instance_id, reg_id, user_agent, path, updated_at)
       VALUES (@aor, @contact, @q, @expires_at, @call_id, @cseq, @transport, @source_address, @source_port,
         @local_address, @local_port, @connection_id, @instance_id, @reg_id, @user_agent, @path, @now)
       ON CONFLICT (extension_id, contact) DO UPDATE SET
         q = excluded.q, expires_at = excluded.expires_at, call_id = excluded.call_id, cseq = excluded.cseq,
         transport = excluded.transport, source_address = excluded.source_address,
         source_port = excluded.source_port, local_address = excluded.local_address,
         local_port = excluded.local_port, connection_id = excluded.connection_id,
         instance_id = excluded.instance_id, reg_id = excluded.reg_id, user_agent = excluded.user_agent,
         path = excluded.path, updated_at = excluded.updated_at
       RETURNING id`,
      )
      .pluck();
    this.#dropOtherFlow = db.prepare(
      "DELETE FROM bindings WHERE extension_id = ? AND instance_id = ? AND reg_id = ? AND contact <> ? RETURNING *",
    );
    this.#ofAor = db.prepare("SELECT * FROM bindings WHERE extension_id = ?");
    this.#all = db.prepare("SELECT * FROM bindings");
    this.#refresh = db.prepare(
      `UPDATE bindings SET expires_at = ?, cseq = ?, updated_at = ?
       WHERE extension_id = ? AND contact = ? AND call_id = ?`,
    );
    this.#remove = db.prepare("DELETE FROM bindings WHERE extension_id = ? AND contact = ?");
    this.#removeAll = db.prepare("DELETE FROM bindings WHERE extension_id = ? RETURNING *");
    this.#purge = db.prepare("DELETE FROM bindings WHERE expires_at <= ? RETURNING *");
    this.#countAll = db.prepare("SELECT count(*) AS n FROM bindings WHERE expires_at > ?");
    this.#page = db.prepare("SELECT * FROM bindings WHERE expires_at > ? AND id > ? ORDER BY id LIMIT ?");
    ctx.feed.on((table, key) => this.#onChange(table, key));
    ctx.beforeClose.push(() => this.#flushBehindNow());
  }

  async upsert(input: BindingInput): Promise<Binding> {
    const p = params(input, this.#ctx.now());
    const refreshed = this.#tryRefresh(p);
    if (refreshed !== undefined) return refreshed;
    const gen = this.#generation;
    const feed = this.#ctx.feed;
    const { id, dropped } = await this.#ctx.group.run(() =>
      feed.quietly(() => {
        const dropped =
          p.instance_id !== null && p.reg_id !== null
            ? this.#dropOtherFlow.all(p.aor, p.instance_id, p.reg_id, p.contact)
            : [];
        return { id: this.#insertOrUpdate(p), dropped };
      }),
    );
    // Built from what was written, not read back (RETURNING * materialised 18 columns).
    const b = toBinding(rowOf(p, id));
    // Committed: patch the cached AOR. If something outside changed the cache meanwhile (it may
    // have been reloaded before this commit), the AOR is read again from SQLite on next use.
    if (gen !== this.#generation) {
      this.#cache.delete(p.aor);
      this.#stale.add(p.aor);
    } else {
      const list = this.#cache.get(p.aor) ?? (this.#complete && !this.#stale.has(p.aor) ? NONE : undefined);
      if (list !== undefined) {
        // Spread, not push: push() on a fresh array reserves room for 17 (measured 152 B per AOR).
        const next = [
          ...list.filter((x) => x.contact !== b.contact && !dropped.some((d) => d.contact === x.contact)),
          b,
        ];
        this.#cache.set(p.aor, next);
      }
    }
    this.#cancelBehind(p.aor, p.contact);
    for (const d of dropped) this.#cancelBehind(p.aor, d.contact);
    return b;
  }

  /** The row's id. The extension's existence is the foreign key's check, not a SELECT of its own. */
  #insertOrUpdate(p: Params): number {
    try {
      return this.#upsert.get(p)!;
    } catch (err) {
      if ((err as { code?: unknown }).code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
        throw new NotFoundError("extension", p.aor);
      }
      throw err;
    }
  }

  async get(aor: number, contact: string): Promise<Binding | undefined> {
    return this.#of(aor).find((b) => b.contact === contact);
  }

  async remove(aor: number, contact: string): Promise<boolean> {
    this.#cancelBehind(aor, contact);
    const removed = this.#ctx.feed.quietly(() => this.#remove.run(aor, contact).changes > 0);
    const list = this.#cache.get(aor);
    if (list !== undefined)
      this.#cache.set(
        aor,
        list.filter((b) => b.contact !== contact),
      );
    return removed;
  }

  async removeAll(aor: number): Promise<Binding[]> {
    this.#behind.delete(aor);
    const rows = this.#ctx.feed.quietly(() => this.#removeAll.all(aor));
    this.#cache.set(aor, []);
    return rows.map(toBinding);
  }

  async current(aor: number, now: number): Promise<Binding[]> {
    const out: Binding[] = [];
    for (const b of this.#of(aor)) if (b.expiresAt > now) out.push(b);
    if (out.length > 1) out.sort(byPreference);
    return out;
  }

  async purgeExpired(now: number): Promise<Binding[]> {
    // Pending refreshes first: a binding refreshed in memory must not be purged on its old expiry.
    this.#flushBehindNow();
    const rows = this.#ctx.feed.quietly(() => this.#purge.all(now));
    for (const r of rows) {
      const list = this.#cache.get(r.extension_id);
      if (list !== undefined)
        this.#cache.set(
          r.extension_id,
          list.filter((b) => b.contact !== r.contact),
        );
    }
    return rows.map(toBinding);
  }

  async count(aor: number, now: number): Promise<number> {
    let n = 0;
    for (const b of this.#of(aor)) if (b.expiresAt > now) n++;
    return n;
  }

  async countAll(now: number): Promise<number> {
    this.#flushBehindNow();
    return this.#countAll.get(now)!.n;
  }

  async page(now: number, afterId: number, limit: number): Promise<Binding[]> {
    this.#flushBehindNow();
    return this.#page.all(now, afterId, limit).map(toBinding);
  }

  /** The AOR's rows, from memory, loaded once from SQLite (with pending refreshes laid over). */
  #of(aor: number): Binding[] {
    this.#ctx.feed.sync();
    if (!this.#complete) this.#loadAll();
    let list = this.#cache.get(aor);
    if (list === undefined) {
      if (!this.#stale.delete(aor)) return NONE;
      list = this.#ofAor.all(aor).map((r) => this.#withPending(toBinding(r)));
      this.#cache.set(aor, list);
    }
    return list;
  }

  /** The whole table in one pass: at start, and after another process changed it. */
  #loadAll(): void {
    this.#cache.clear();
    this.#stale.clear();
    for (const r of this.#all.iterate()) {
      const b = this.#withPending(toBinding(r));
      const list = this.#cache.get(b.aor);
      this.#cache.set(b.aor, list === undefined ? [b] : [...list, b]);
    }
    this.#complete = true;
  }

  /** A refresh answered but not yet written, laid over the row read back. */
  #withPending(b: Binding): Binding {
    const p = this.#behind.get(b.aor)?.get(b.contact);
    return p !== undefined && p.callId === b.callId
      ? { ...b, expiresAt: p.expiresAt, cseq: p.cseq, updatedAt: p.now }
      : b;
  }

  /** A refresh that only moves the expiry: answered from memory, written behind. */
  #tryRefresh(p: Params): Binding | undefined {
    this.#ctx.feed.sync();
    const list = this.#cache.get(p.aor);
    if (list === undefined) return undefined;
    const i = list.findIndex((b) => b.contact === p.contact);
    if (i < 0) return undefined;
    const old = list[i]!;
    if (!sameFlow(old, p)) return undefined;
    const b: Binding = { ...old, expiresAt: p.expires_at, cseq: p.cseq, updatedAt: p.now };
    const next = list.slice();
    next[i] = b;
    this.#cache.set(p.aor, next);
    let pending = this.#behind.get(p.aor);
    if (pending === undefined) {
      pending = new Map();
      this.#behind.set(p.aor, pending);
    }
    pending.set(p.contact, {
      aor: p.aor,
      contact: p.contact,
      callId: p.call_id,
      expiresAt: p.expires_at,
      cseq: p.cseq,
      now: p.now,
    });
    this.#behindTimer ??= setTimeout(() => this.#flushBehind(), WRITE_BEHIND_MS).unref();
    return b;
  }

  #cancelBehind(aor: number, contact: string): void {
    const pending = this.#behind.get(aor);
    if (pending === undefined) return;
    pending.delete(contact);
    if (pending.size === 0) this.#behind.delete(aor);
  }

  #takeBehind(): Refresh[] {
    if (this.#behindTimer !== undefined) {
      clearTimeout(this.#behindTimer);
      this.#behindTimer = undefined;
    }
    const out: Refresh[] = [];
    for (const m of this.#behind.values()) for (const r of m.values()) out.push(r);
    this.#behind = new Map();
    return out;
  }

  #writeRefreshes(batch: readonly Refresh[]): void {
    this.#ctx.feed.quietly(() => {
      for (const r of batch) this.#refresh.run(r.expiresAt, r.cseq, r.now, r.aor, r.contact, r.callId);
    });
  }

  /** The timer's batch, through the group commit (shares the turn's transaction and fsync). */
  #flushBehind(): void {
    this.#behindTimer = undefined;
    const batch = this.#takeBehind();
    if (batch.length === 0) return;
    // A failure (disk full) loses only expiry moves; the bindings stay with their previous expiry.
    this.#ctx.group.run(() => this.#writeRefreshes(batch)).catch(() => undefined);
  }

  /** Synchronously, before a read of SQLite itself (sweep, keepalive walk, count) and at close. */
  #flushBehindNow(): void {
    if (this.#behind.size === 0) return;
    const batch = this.#takeBehind();
    this.#ctx.db.transaction(() => this.#writeRefreshes(batch)).immediate();
  }

  #onChange(table: ChangedTable, key: number | null): void {
    // Deletions of customers and extensions cascade to bindings, reported as such.
    if (table === "customers" || table === "extensions" || table === "extension_features") return;
    this.#generation++;
    if (table === "bindings" && key !== null) {
      this.#cache.delete(key);
      this.#stale.add(key);
    } else {
      this.#cache.clear();
      this.#complete = false;
    }
  }
}

function sameFlow(b: Binding, p: Params): boolean {
  return (
    b.callId === p.call_id &&
    b.q === p.q &&
    b.transport === p.transport &&
    b.sourceAddress === p.source_address &&
    b.sourcePort === p.source_port &&
    b.localAddress === p.local_address &&
    b.localPort === p.local_port &&
    b.connectionId === p.connection_id &&
    b.instanceId === p.instance_id &&
    b.regId === p.reg_id &&
    b.userAgent === p.user_agent &&
    JSON.stringify(b.path) === p.path
  );
}

/** `current()`'s order: highest q first, then the most recently refreshed. */
function byPreference(a: Binding, b: Binding): number {
  return b.q - a.q || b.updatedAt - a.updatedAt;
}
