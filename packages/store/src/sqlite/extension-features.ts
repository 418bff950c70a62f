import { NotFoundError } from "../errors.js";
import type { ExtensionFeatureRepository } from "../repositories.js";
import type { ExtensionFeatures, ExtensionFeaturesPatch } from "../types.js";
import { checkForwardTarget, checkId, checkInteger } from "../validate.js";
import { bool, type Ctx, type Stmt } from "./context.js";
import { sql } from "./sql-errors.js";

interface Row {
  extension_id: number;
  forward_always: string | null;
  forward_busy: string | null;
  forward_no_answer: string | null;
  no_answer_seconds: number;
  forward_unreachable: string | null;
  dnd: number;
}

type Values = [number, string | null, string | null, string | null, number, string | null, number, number];

const DEFAULT_NO_ANSWER_SECONDS = 20;
/** Extensions whose features are kept in memory at most (the cache starts over past it). */
const FEATURES_CACHED = 100_000;

const toFeatures = (r: Row): ExtensionFeatures => ({
  extensionId: r.extension_id,
  forwardAlways: r.forward_always,
  forwardBusy: r.forward_busy,
  forwardNoAnswer: r.forward_no_answer,
  noAnswerSeconds: r.no_answer_seconds,
  forwardUnreachable: r.forward_unreachable,
  dnd: bool(r.dnd),
});

const off = (extensionId: number): ExtensionFeatures => ({
  extensionId,
  forwardAlways: null,
  forwardBusy: null,
  forwardNoAnswer: null,
  noAnswerSeconds: DEFAULT_NO_ANSWER_SECONDS,
  forwardUnreachable: null,
  dnd: false,
});

export class SqliteExtensionFeatures implements ExtensionFeatureRepository {
  readonly #ctx: Ctx;
  readonly #get: Stmt<[number], Row>;
  readonly #extExists: Stmt<[number], { id: number }>;
  readonly #upsert: Stmt<Values, Row>;
  /**
   * extension id → its features, as `get` answered them. Read for every call to an extension
   * (forwarding, DND): two SELECTs otherwise when the extension has no row, each opening a WAL
   * read transaction. Dropped whole on any change to the features, the extensions or the
   * customers, on this connection (TEMP triggers) or another (data_version), see ChangeFeed.
   */
  readonly #cache = new Map<number, ExtensionFeatures>();

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    const db = ctx.db;
    ctx.feed.on((table) => {
      if (table !== "bindings") this.#cache.clear();
    });
    this.#get = db.prepare("SELECT * FROM extension_features WHERE extension_id = ?");
    this.#extExists = db.prepare("SELECT id FROM extensions WHERE id = ?");
    this.#upsert = db.prepare(
      `INSERT INTO extension_features (extension_id, forward_always, forward_busy, forward_no_answer,
         no_answer_seconds, forward_unreachable, dnd, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (extension_id) DO UPDATE SET forward_always = excluded.forward_always,
         forward_busy = excluded.forward_busy, forward_no_answer = excluded.forward_no_answer,
         no_answer_seconds = excluded.no_answer_seconds, forward_unreachable = excluded.forward_unreachable,
         dnd = excluded.dnd, updated_at = excluded.updated_at
       RETURNING *`,
    );
  }

  async get(extensionId: number): Promise<ExtensionFeatures> {
    this.#ctx.feed.sync();
    const cached = this.#cache.get(extensionId);
    if (cached !== undefined) return cached;
    const row = this.#get.get(extensionId);
    let f: ExtensionFeatures;
    if (row) f = toFeatures(row);
    else if (!this.#extExists.get(extensionId)) throw new NotFoundError("extension", extensionId);
    else f = off(extensionId);
    if (this.#cache.size >= FEATURES_CACHED) this.#cache.clear();
    // Shared by every caller until the next change: frozen, so no caller can edit another's copy.
    this.#cache.set(extensionId, Object.freeze(f));
    return f;
  }

  async update(extensionId: number, patch: ExtensionFeaturesPatch): Promise<ExtensionFeatures> {
    checkId(extensionId, "extensionId");
    const target = (v: string | null | undefined, field: string) =>
      v === undefined || v === null ? v : checkForwardTarget(v, field);
    const always = target(patch.forwardAlways, "forwardAlways");
    const busy = target(patch.forwardBusy, "forwardBusy");
    const noAnswer = target(patch.forwardNoAnswer, "forwardNoAnswer");
    const unreachable = target(patch.forwardUnreachable, "forwardUnreachable");
    const seconds =
      patch.noAnswerSeconds === undefined
        ? undefined
        : checkInteger(patch.noAnswerSeconds, "noAnswerSeconds", 5, 120);
    return sql(() =>
      this.#ctx.db
        .transaction(() => {
          if (!this.#extExists.get(extensionId)) throw new NotFoundError("extension", extensionId);
          const cur = this.#get.get(extensionId);
          const base = cur ? toFeatures(cur) : off(extensionId);
          const pick = <T>(v: T | undefined, old: T): T => (v === undefined ? old : v);
          return toFeatures(
            this.#upsert.get(
              extensionId,
              pick(always, base.forwardAlways),
              pick(busy, base.forwardBusy),
              pick(noAnswer, base.forwardNoAnswer),
              pick(seconds, base.noAnswerSeconds),
              pick(unreachable, base.forwardUnreachable),
              pick(patch.dnd, base.dnd) ? 1 : 0,
              this.#ctx.now(),
            )!,
          );
        })
        .immediate(),
    );
  }
}
