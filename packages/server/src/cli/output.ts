/**
 * What the `centrex` command prints: results on stdout, problems on stderr,
 * one line each. (The switch itself logs JSON through pino; this is the CLI's
 * user interface, not logging.)
 *
 * Exit status: 0 done; 1 a check found a fault (`cdr verify`) or the command failed for a
 * reason outside its input (database busy, disk); 2 a usage or input error, nothing changed.
 */
export const EXIT_FAULT = 1;
export const EXIT_USAGE = 2;

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printError(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Epoch ms as "2026-12-05 08:40Z" for listings. */
export function when(ms: number | null): string {
  return ms === null ? "-" : `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")}Z`;
}
