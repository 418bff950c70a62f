import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";

/** Another running switch holds the database. */
export class DatabaseInUseError extends Error {
  override name = "DatabaseInUseError";
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(`database ${path} is in use by the switch running as pid ${pid} (lock file ${path}.lock)`);
  }
}

/** Whether `pid` is a live centrex process (a stale lock's pid may have been reused by another program). */
function isLiveSwitch(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // The switch runs as `node …/centrex.mjs start` (or the `centrex` bin link).
    return readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .some((arg) => /(^|\/)centrex(\.mjs)?$/.test(arg));
  } catch {
    return true; // no /proc: a live pid is taken at its word
  }
}

function readPid(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lock, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `<db>.lock` for this process: two switches writing one database would both answer
 * phones, both append to one node's call-record chain and fight over registrations. The file
 * holds the pid; it is created exclusively (two starts racing cannot both win) and a lock
 * left by a process that died (kill -9, power loss) is taken over. A primary/standby pair runs
 * on two databases, so each takes its own. Returns the release function (idempotent).
 */
export function lockDatabase(path: string): () => void {
  if (path === "" || path === ":memory:" || path.startsWith("file:")) return () => {};
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(lock, "wx", 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = readPid(lock);
      if (pid !== undefined && pid !== process.pid && isLiveSwitch(pid))
        throw new DatabaseInUseError(path, pid);
      try {
        unlinkSync(lock); // stale: its process is gone
      } catch {
        // another starter removed it first: retry the exclusive create
      }
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (readPid(lock) === process.pid) {
        try {
          unlinkSync(lock);
        } catch {
          // already gone
        }
      }
    };
  }
  const pid = readPid(lock) ?? 0;
  throw new DatabaseInUseError(path, pid);
}
