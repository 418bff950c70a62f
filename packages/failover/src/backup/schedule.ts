import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { SqliteDatabase } from "@centrex/store";
import type { DnsLogger as FailoverLogger } from "../dns/logger.js";
import { silentLogger } from "../dns/logger.js";
import type { BackupResult } from "./backup.js";
import { BACKUP_PREFIX, BACKUP_SUFFIX, backup } from "./backup.js";

/** The next time-of-day `hh:mm` (server local time) strictly after `now`. */
export function nextDailyRun(now: number, at: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(at);
  if (m === null) throw new RangeError(`backup time "${at}" is not HH:MM`);
  const d = new Date(now);
  d.setHours(Number(m[1]), Number(m[2]), 0, 0);
  if (d.getTime() <= now) d.setDate(d.getDate() + 1);
  return d.getTime();
}

/**
 * Keeps the newest `keep` backups in `dir` (one a day when scheduled daily, so `keep` days) and
 * removes older ones with their checksum files. Returns the removed file names.
 */
export async function pruneBackups(dir: string, keep: number): Promise<string[]> {
  const names = (await readdir(dir))
    .filter((n) => n.startsWith(BACKUP_PREFIX) && n.endsWith(BACKUP_SUFFIX))
    .sort();
  const old = names.slice(0, Math.max(0, names.length - keep));
  for (const n of old) {
    await rm(join(dir, n), { force: true });
    await rm(join(dir, `${n}.sha256`), { force: true });
  }
  return old;
}

export interface DailyBackupOptions {
  db: SqliteDatabase;
  dir: string;
  /** Backups kept (days, at one a day). Default 7. */
  keepDays?: number;
  /** Local time of day, `HH:MM`. Default "03:00" (outside business hours). */
  at?: string;
  onBackup?: (r: BackupResult) => void;
  onError?: (err: Error) => void;
  now?: () => number;
  logger?: FailoverLogger;
}

export interface DailyBackups {
  /** Takes a backup now and prunes, as the schedule does. */
  runNow(): Promise<BackupResult>;
  /** When the next scheduled backup runs (epoch ms). */
  readonly nextAt: number;
  stop(): void;
}

/** Runs `backup()` once a day at `at` and keeps the newest `keepDays`. */
export function scheduleDailyBackups(opts: DailyBackupOptions): DailyBackups {
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? silentLogger;
  const at = opts.at ?? "03:00";
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let nextAt = nextDailyRun(now(), at);

  const runNow = async (): Promise<BackupResult> => {
    const r = await backup(opts.db, opts.dir, { now });
    const removed = await pruneBackups(opts.dir, opts.keepDays ?? 7);
    log.info({ file: r.file, bytes: r.bytes, sha256: r.sha256, removed }, "backup taken");
    opts.onBackup?.(r);
    return r;
  };
  const arm = (): void => {
    if (stopped) return;
    nextAt = nextDailyRun(now(), at);
    // Capped so a long sleep or a clock change does not push the run a whole day away.
    timer = setTimeout(fire, Math.min(nextAt - now(), 3_600_000));
    timer.unref();
  };
  const fire = (): void => {
    if (now() < nextAt) {
      timer = setTimeout(fire, Math.min(nextAt - now(), 3_600_000));
      timer.unref();
      return;
    }
    runNow().then(arm, (err: Error) => {
      log.error({ err }, "scheduled backup failed");
      opts.onError?.(err);
      arm();
    });
  };
  arm();
  return {
    runNow,
    get nextAt() {
      return nextAt;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
