import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { SqliteDatabase } from "@centrex/store";
import { openSqliteStore, sqliteHandle } from "@centrex/store";
import { dropCaptureTriggers } from "../replication/tables.js";

/** Base class of backup/restore failures. */
export class BackupError extends Error {
  override name = "BackupError";
}

/** The backup file does not match its recorded SHA-256 (or the checksum file is missing/garbled). */
export class BackupChecksumError extends BackupError {
  override name = "BackupChecksumError";
  constructor(
    readonly file: string,
    readonly expected: string | undefined,
    readonly actual: string,
  ) {
    super(`${file}: checksum ${actual} does not match ${expected ?? "(no checksum file)"}`);
  }
}

export interface BackupResult {
  /** The database copy. */
  file: string;
  /** `<file>.sha256`, in `sha256sum` format. */
  checksumFile: string;
  sha256: string;
  bytes: number;
  /** When the copy was taken (epoch ms). */
  at: number;
}

export const BACKUP_PREFIX = "centrex-";
export const BACKUP_SUFFIX = ".db";

/** `centrex-20261127T031500123Z.db`: sorts by time as text. */
export function backupFileName(at: number): string {
  return `${BACKUP_PREFIX}${new Date(at).toISOString().replaceAll(/[-:.]/g, "")}${BACKUP_SUFFIX}`;
}

export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest("hex"), bytes };
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Takes a consistent copy of a live database with SQLite's online backup API (better-sqlite3
 * `db.backup()`): it copies pages in steps and restarts a step a concurrent write touched, so the
 * switch keeps serving (writers are never blocked for more than one step). The copy is then
 * cleaned of replication capture triggers (a restored node decides its own role), hashed, and
 * published atomically: `<file>` and `<file>.sha256` appear only once complete.
 */
export async function backup(
  db: SqliteDatabase,
  dir: string,
  opts: { now?: () => number } = {},
): Promise<BackupResult> {
  const at = (opts.now ?? Date.now)();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, backupFileName(at));
  const tmp = `${file}.partial`;
  await rm(tmp, { force: true });
  try {
    await db.backup(tmp);
    const copy = openSqliteStore(tmp);
    try {
      dropCaptureTriggers(sqliteHandle(copy));
      sqliteHandle(copy).pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      await copy.close();
    }
    await rm(`${tmp}-wal`, { force: true });
    await rm(`${tmp}-shm`, { force: true });
    await fsyncPath(tmp);
    const { sha256, bytes } = await sha256File(tmp);
    await rename(tmp, file);
    const checksumFile = `${file}.sha256`;
    await writeFile(`${checksumFile}.partial`, `${sha256}  ${basename(file)}\n`, { mode: 0o600 });
    await rename(`${checksumFile}.partial`, checksumFile);
    return { file, checksumFile, sha256, bytes, at };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Checks `<file>` against `<file>.sha256`; returns the hash or throws `BackupChecksumError`. */
export async function verifyBackup(file: string): Promise<string> {
  let expected: string | undefined;
  try {
    const text = await readFile(`${file}.sha256`, "utf8");
    const m = /^([0-9a-f]{64})\s/.exec(text);
    expected = m?.[1];
  } catch {
    expected = undefined;
  }
  const { sha256 } = await sha256File(file);
  if (expected === undefined || expected !== sha256) throw new BackupChecksumError(file, expected, sha256);
  return sha256;
}

/**
 * Restores a backup over `dbPath` after verifying its checksum (a mismatch changes nothing).
 * The database must not be open: this runs before the node starts. The old file's WAL and
 * shared-memory files are removed, since they belong to the replaced database.
 */
export async function restore(backupFile: string, dbPath: string): Promise<{ sha256: string }> {
  const sha256 = await verifyBackup(backupFile);
  await mkdir(dirname(dbPath), { recursive: true });
  const tmp = `${dbPath}.restore-partial`;
  await copyFile(backupFile, tmp);
  await fsyncPath(tmp);
  const copied = await sha256File(tmp);
  if (copied.sha256 !== sha256) {
    await rm(tmp, { force: true });
    throw new BackupChecksumError(tmp, sha256, copied.sha256);
  }
  await rm(`${dbPath}-wal`, { force: true });
  await rm(`${dbPath}-shm`, { force: true });
  await rename(tmp, dbPath);
  return { sha256 };
}
