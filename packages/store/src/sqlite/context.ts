import type Database from "better-sqlite3";
import type { ChangeFeed } from "./change-feed.js";
import type { GroupCommit } from "./group-commit.js";

/*
 * Every write runs in a BEGIN IMMEDIATE transaction (`db.transaction(fn).immediate()`): it takes
 * the write lock before its first read, so a read-then-write never works from a snapshot another
 * process has since changed (which SQLite would report as SQLITE_BUSY_SNAPSHOT, without waiting
 * for the busy timeout).
 */
export interface Ctx {
  readonly db: Database.Database;
  readonly now: () => number;
  /** Hot-path writes batched into one transaction per event-loop turn (see group-commit.ts). */
  readonly group: GroupCommit;
  /** Rows changed behind the in-memory caches' back (see change-feed.ts). */
  readonly feed: ChangeFeed;
  /** Run (synchronously) before the connection closes: write-behind batches. */
  readonly beforeClose: (() => void)[];
}

export const bool = (v: unknown): boolean => v === 1 || v === 1n;
export const int = (b: boolean | undefined, dflt: boolean): number => ((b ?? dflt) ? 1 : 0);

export type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;
