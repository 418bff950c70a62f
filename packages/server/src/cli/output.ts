/**
 * What the `centrex` command prints: results on stdout, problems on stderr,
 * one line each. (The switch itself logs JSON through pino; this is the CLI's
 * user interface, not logging.)
 */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function printError(text: string): void {
  process.stderr.write(`${text}\n`);
}
