import { ConflictError, NotFoundError, StoreError, ValidationError } from "@centrex/store";

/**
 * What went wrong, as every entry point needs to know it: `invalid` (malformed input),
 * `not_found` (no such customer, extension…), `conflict` (already exists, in use) and `refused`
 * (well-formed, but a rule of the service terms forbids it). The CLI prints the message on one
 * line and exits 2; the API answers 400, 404, 409 or 422 with `field`.
 */
export type OperationErrorKind = "invalid" | "not_found" | "conflict" | "refused";

export class OperationError extends Error {
  override name = "OperationError";
  readonly kind: OperationErrorKind;
  /** The input field at fault, in the caller's words ("access", "code", "e164"…). */
  readonly field: string | undefined;
  constructor(kind: OperationErrorKind, message: string, field?: string) {
    super(message);
    this.kind = kind;
    this.field = field;
  }
}

export const invalid = (field: string, message: string): OperationError =>
  new OperationError("invalid", message, field);
export const notFound = (message: string, field?: string): OperationError =>
  new OperationError("not_found", message, field);
export const refused = (field: string, message: string): OperationError =>
  new OperationError("refused", message, field);

/**
 * Runs a store call, turning the store's typed errors into OperationErrors whose field is named
 * as the operation's input (`names` maps store field → input field).
 */
export async function storeCall<T>(
  fn: () => Promise<T>,
  names: Record<string, string> = {},
  values: Record<string, unknown> = {},
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw translate(err, names, values);
  }
}

/**
 * `values` (never a secret) are the inputs by store field: a message that does not quote the
 * value at fault gets it appended, so "number is already in use" says which number.
 */
export function translate(
  err: unknown,
  names: Record<string, string> = {},
  values: Record<string, unknown> = {},
): unknown {
  if (err instanceof OperationError) return err;
  if (err instanceof ValidationError || err instanceof ConflictError) {
    const field = names[err.field] ?? err.field;
    let message = rename(err.message, err.field, field);
    const v = values[err.field];
    if ((typeof v === "string" || typeof v === "number") && !message.includes(String(v)))
      message = `${message}: "${String(v)}"`;
    return new OperationError(err instanceof ConflictError ? "conflict" : "invalid", message, field);
  }
  if (err instanceof NotFoundError) return new OperationError("not_found", err.message);
  if (err instanceof StoreError) return new OperationError("invalid", err.message);
  return err;
}

function rename(message: string, from: string, to: string): string {
  return from === to || !message.startsWith(from) ? message : `${to}${message.slice(from.length)}`;
}
