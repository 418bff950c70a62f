import { checkPasswordStrength, generatePassword, WeakPasswordError } from "@centrex/guard";
import { CliError } from "./store-command.js";

/** The password options of `extension add` and `extension passwd`. */
export interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
}

/**
 * The password to set: `--password`, or one line read from stdin (`--password-stdin`, so it
 * stays out of the shell history and `ps`), or — neither given — a strong generated one
 * (`generated` true: the caller prints it, once; only its digest hashes are stored). A weak
 * password is refused with the rule it breaks.
 */
export async function resolvePassword(
  o: PasswordOptions,
  username: string,
  realm: string,
): Promise<{ password: string; generated: boolean }> {
  if (o.password !== undefined && o.passwordStdin === true) {
    throw new CliError("give --password or --password-stdin, not both");
  }
  let password: string;
  if (o.passwordStdin === true) password = await readStdinLine();
  else if (o.password !== undefined) password = o.password;
  else return { password: generatePassword({ username, realm }), generated: true };
  try {
    checkPasswordStrength(password, { username, realm });
  } catch (err) {
    if (err instanceof WeakPasswordError) throw new CliError(`weak password refused: ${err.message}`);
    throw err;
  }
  return { password, generated: false };
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  const line = text.split(/\r?\n/, 1)[0] ?? "";
  if (line === "") throw new CliError("--password-stdin: nothing read from standard input");
  return line;
}
